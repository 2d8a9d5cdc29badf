using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Qed.Benchmarks;

namespace Qed.Runs;

/// <summary>
/// The run store: one SQLite file (WAL) holding runs, samples, steps, grades and usage. It is the truth:
/// resume counts what is here, regrading replays stored answers, export reads it. Writes are serialised
/// through one connection; every write is its own transaction, so a kill -9 loses at most the call in flight.
/// </summary>
public sealed partial class RunStore : IAsyncDisposable, IDisposable
{
    private readonly SqliteConnection? _db;     // the writer: used only by the write loop; null when opened read-only
    private readonly SqliteConnection _reader;  // WAL lets it read committed data while the writer works
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private readonly Channel<PendingWrite> _writes = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, SqliteCommand> _prepared = new();
    private readonly Dictionary<string, SqliteCommand> _preparedReads = new();
    private readonly Task _writeLoop;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Path { get; }

    /// <summary>True when opened with <see cref="OpenReadOnlyAsync"/>: every write fails and the file is never changed.</summary>
    public bool IsReadOnly => _db is null;

    private sealed record Statement(string Sql, (string Name, object? Value)[] Args);
    private sealed record PendingWrite(Statement[] Statements, TaskCompletionSource<int> Done);

    private RunStore(string path, SqliteConnection? db, SqliteConnection reader)
    {
        Path = path;
        _db = db;
        _reader = reader;
        _writeLoop = db is null ? Task.CompletedTask : Task.Run(WriteLoopAsync);
    }

    /// <summary>
    /// Opens an existing store for reading only (stats, export, report): a missing file, an empty (0-byte) file or a file
    /// that is not a run store is a clear error, and nothing is ever written to it (no schema, no migration).
    /// </summary>
    public static async Task<RunStore> OpenReadOnlyAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new QedException($"{full}: is a folder, not a run store (pass --db FILE)");
        if (!File.Exists(full)) throw new QedException($"{full}: no run store here (run `qed eval` or `qed run` first, or pass --db)");
        if (new FileInfo(full).Length == 0) throw new QedException($"{full}: empty file, not a run store (run `qed eval` or `qed run` first, or pass --db)");
        var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        try
        {
            await reader.OpenAsync(cancellationToken);
            await using var cmd = reader.CreateCommand();
            cmd.CommandText = "PRAGMA busy_timeout=10000; SELECT COUNT(*) FROM sqlite_master WHERE type='table' AND name IN ('runs','samples','grades')";
            var tables = Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            if (tables < 3) throw new QedException($"{full}: not a run store (no runs/samples/grades tables)");
        }
        catch (SqliteException e)
        {
            await reader.DisposeAsync();
            throw new QedException($"{full}: cannot read the run store: {e.Message}");
        }
        catch
        {
            await reader.DisposeAsync();
            throw;
        }
        var store = new RunStore(full, null, reader);
        await store.ReadColumnsAsync(cancellationToken);
        return store;
    }

    // Columns added after the first release: a store written before them still reads (a read-only open cannot migrate).
    private bool _hasProtocol = true, _hasGradeExtras = true;

    private async Task ReadColumnsAsync(CancellationToken ct)
    {
        var runCols = await ReadAsync("SELECT name FROM pragma_table_info('runs')", r => r.GetString(0), ct);
        var gradeCols = await ReadAsync("SELECT name FROM pragma_table_info('grades')", r => r.GetString(0), ct);
        _hasProtocol = runCols.Contains("protocol");
        _hasGradeExtras = gradeCols.Contains("answer_hash") && gradeCols.Contains("seconds");
    }

    /// <summary>Adds the columns later versions introduced (protocol of a run; answer hash and time of a grade).</summary>
    private static async Task MigrateAsync(SqliteConnection db, CancellationToken ct)
    {
        async Task<HashSet<string>> Columns(string table)
        {
            await using var cmd = db.CreateCommand();
            cmd.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var set = new HashSet<string>();
            while (await r.ReadAsync(ct)) set.Add(r.GetString(0));
            return set;
        }
        var alter = new List<string>();
        if (!(await Columns("runs")).Contains("protocol")) alter.Add($"ALTER TABLE runs ADD COLUMN protocol TEXT NOT NULL DEFAULT '{RunInfo.DefaultProtocol}';");
        var grades = await Columns("grades");
        if (!grades.Contains("answer_hash")) alter.Add("ALTER TABLE grades ADD COLUMN answer_hash TEXT;");
        if (!grades.Contains("seconds")) alter.Add("ALTER TABLE grades ADD COLUMN seconds REAL NOT NULL DEFAULT 0;");
        if (alter.Count == 0) return;
        await using var run = db.CreateCommand();
        run.CommandText = "BEGIN IMMEDIATE; " + string.Join(" ", alter) + " COMMIT;";
        await run.ExecuteNonQueryAsync(ct);
    }

    public static async Task<RunStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            await db.OpenAsync(cancellationToken);
            await using var cmd = db.CreateCommand();
            cmd.CommandText = Schema;
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            await MigrateAsync(db, cancellationToken);
        }
        catch (SqliteException e)
        {
            await db.DisposeAsync();
            throw new QedException($"{full}: cannot open the run store: {e.Message}");
        }
        var reader = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        await reader.OpenAsync(cancellationToken);
        await using (var pragma = reader.CreateCommand())
        {
            pragma.CommandText = "PRAGMA busy_timeout=10000;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }
        return new RunStore(full, db, reader);
    }

    private const string Schema = """
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=NORMAL;
        PRAGMA busy_timeout=10000;
        CREATE TABLE IF NOT EXISTS runs(
          run_id TEXT PRIMARY KEY, benchmark TEXT NOT NULL, grading_mode TEXT NOT NULL, model_name TEXT NOT NULL,
          model_config TEXT NOT NULL, scaffold_name TEXT, scaffold_config TEXT, prompts_hash TEXT NOT NULL, created_at TEXT NOT NULL,
          protocol TEXT NOT NULL DEFAULT 'qed');
        CREATE TABLE IF NOT EXISTS samples(
          sample_id TEXT PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs(run_id), problem_id TEXT NOT NULL,
          run_index INTEGER NOT NULL, problem TEXT NOT NULL, status TEXT NOT NULL, answer TEXT, reasoning TEXT, error TEXT,
          input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0,
          calls INTEGER NOT NULL DEFAULT 0, seconds REAL NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS samples_run ON samples(run_id, problem_id, run_index);
        CREATE TABLE IF NOT EXISTS steps(
          sample_id TEXT NOT NULL, step_key TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, model TEXT NOT NULL,
          messages TEXT NOT NULL, answer TEXT NOT NULL, reasoning TEXT, truncated INTEGER NOT NULL, finish_reason TEXT,
          input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, seconds REAL NOT NULL,
          endpoint TEXT, started_at TEXT NOT NULL, PRIMARY KEY(sample_id, step_key));
        CREATE TABLE IF NOT EXISTS grades(
          sample_id TEXT NOT NULL, judge_id TEXT NOT NULL, judge_name TEXT NOT NULL, status TEXT NOT NULL, points REAL,
          max_points INTEGER NOT NULL, descr TEXT, judge_reply TEXT, decided_by TEXT, details TEXT,
          input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, calls INTEGER NOT NULL,
          error TEXT, graded_at TEXT NOT NULL, answer_hash TEXT, seconds REAL NOT NULL DEFAULT 0, PRIMARY KEY(sample_id, judge_id));
        CREATE TABLE IF NOT EXISTS usage(
          id INTEGER PRIMARY KEY AUTOINCREMENT, sample_id TEXT, kind TEXT NOT NULL, model TEXT NOT NULL,
          input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, at TEXT NOT NULL);
        """ + ClaimsSchema;

    // ---- runs ---------------------------------------------------------------------------------------

    public Task EnsureRunAsync(RunInfo run, CancellationToken ct = default) => WriteAsync(
        """
        INSERT OR IGNORE INTO runs(run_id, benchmark, grading_mode, model_name, model_config, scaffold_name, scaffold_config,
          prompts_hash, created_at, protocol) VALUES($id,$bench,$mode,$model,$mcfg,$scaffold,$scfg,$prompts,$at,$protocol)
        """,
        ct, ("$id", run.RunId), ("$bench", run.Benchmark), ("$mode", run.GradingMode), ("$model", run.ModelName),
        ("$mcfg", run.ModelConfigJson), ("$scaffold", run.ScaffoldName), ("$scfg", run.ScaffoldConfigJson),
        ("$prompts", run.PromptsHash), ("$at", Time(run.CreatedAt)), ("$protocol", string.IsNullOrEmpty(run.Protocol) ? RunInfo.DefaultProtocol : run.Protocol));

    /// <summary>Every run, oldest first (ties by id, so the order is stable).</summary>
    public Task<IReadOnlyList<RunInfo>> ListRunsAsync(CancellationToken ct = default) => ReadAsync(
        "SELECT run_id, benchmark, grading_mode, model_name, model_config, scaffold_name, scaffold_config, prompts_hash, created_at, "
        + (_hasProtocol ? "protocol" : $"'{RunInfo.DefaultProtocol}'") + " FROM runs ORDER BY created_at, run_id", r => new RunInfo(
            r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
            r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.GetString(7), ParseTime(r.GetString(8)),
            r.IsDBNull(9) ? RunInfo.DefaultProtocol : r.GetString(9)), ct);

    // ---- samples ------------------------------------------------------------------------------------

    /// <summary>Creates the sample as pending when new; returns it as stored.</summary>
    public async Task<SampleRecord> EnsureSampleAsync(string sampleId, string runId, Problem problem, int runIndex, CancellationToken ct = default)
    {
        await AddSampleAsync(sampleId, runId, problem, runIndex, ct);
        return (await GetSampleAsync(sampleId, ct))!;
    }

    /// <summary>Creates the sample as pending unless it exists (then it is left as it is).</summary>
    public Task AddSampleAsync(string sampleId, string runId, Problem problem, int runIndex, CancellationToken ct = default) =>
        WriteAsync("""
            INSERT OR IGNORE INTO samples(sample_id, run_id, problem_id, run_index, problem, status, updated_at)
            VALUES($id,$run,$pid,$idx,$problem,'pending',$at)
            """, ct, ("$id", sampleId), ("$run", runId), ("$pid", problem.Id), ("$idx", runIndex),
            ("$problem", JsonSerializer.Serialize(problem, Json)), ("$at", Time(DateTimeOffset.UtcNow)));

    public async Task<SampleRecord?> GetSampleAsync(string sampleId, CancellationToken ct = default) =>
        (await ReadAsync(SampleSelect + " WHERE sample_id=$id", ReadSample, ct, ("$id", sampleId))).FirstOrDefault();

    /// <summary>All samples, or those of one run, ordered by problem then run index.</summary>
    public Task<IReadOnlyList<SampleRecord>> ListSamplesAsync(string? runId = null, CancellationToken ct = default) =>
        runId is null
            ? ReadAsync(SampleSelect + " ORDER BY run_id, problem_id, run_index", ReadSample, ct)
            : ReadAsync(SampleSelect + " WHERE run_id=$run ORDER BY problem_id, run_index", ReadSample, ct, ("$run", runId));

    /// <summary>Records how a sample ended. A finished sample (ok, truncated, budget_exhausted) is never overwritten:
    /// its answer may already be graded (use <see cref="ReopenSampleAsync"/> to start one over on purpose).</summary>
    public Task CompleteSampleAsync(string sampleId, SampleStatus status, string? answer, string? reasoning, string? error,
        UsageTotals usage, double seconds, CancellationToken ct = default) => WriteAsync("""
        UPDATE samples SET status=$status, answer=$answer, reasoning=$reasoning, error=$error, input_tokens=$in,
          output_tokens=$out, cost_usd=$cost, calls=$calls, seconds=$sec, updated_at=$at
        WHERE sample_id=$id AND status NOT IN ('ok','truncated','budget_exhausted')
        """, ct, ("$id", sampleId), ("$status", status.ToText()), ("$answer", answer), ("$reasoning", reasoning),
        ("$error", error), ("$in", usage.InputTokens), ("$out", usage.OutputTokens), ("$cost", usage.CostUsd),
        ("$calls", usage.Calls), ("$sec", seconds), ("$at", Time(DateTimeOffset.UtcNow)));

    private const string SampleSelect = """
        SELECT sample_id, run_id, problem_id, run_index, problem, status, answer, reasoning, error,
          input_tokens, output_tokens, cost_usd, calls, seconds, updated_at FROM samples
        """;

    private static SampleRecord ReadSample(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetInt32(3),
        JsonSerializer.Deserialize<Problem>(r.GetString(4), Json)!, SampleStatusText.Parse(r.GetString(5)),
        Opt(r, 6), Opt(r, 7), Opt(r, 8), new UsageTotals(r.GetInt64(9), r.GetInt64(10), r.GetDouble(11), r.GetInt32(12)),
        r.GetDouble(13), ParseTime(r.GetString(14)));

    // ---- steps --------------------------------------------------------------------------------------

    public async Task<StepRecord?> FindStepAsync(string sampleId, string stepKey, CancellationToken ct = default) =>
        (await ReadAsync(StepSelect + " WHERE sample_id=$s AND step_key=$k", ReadStep, ct, ("$s", sampleId), ("$k", stepKey))).FirstOrDefault();

    public Task<IReadOnlyList<StepRecord>> ListStepsAsync(string sampleId, CancellationToken ct = default) =>
        ReadAsync(StepSelect + " WHERE sample_id=$s ORDER BY rowid", ReadStep, ct, ("$s", sampleId));

    public Task SaveStepAsync(StepRecord s, CancellationToken ct = default) => WriteAsync(ct, StepStatement(s));

    /// <summary>Saves a step and its usage row in one transaction, so a kill can never keep one without the other.</summary>
    public Task SaveStepWithUsageAsync(StepRecord s, string kind, CancellationToken ct = default) =>
        WriteAsync(ct, StepStatement(s), UsageStatement(s.SampleId, kind, s.Model, s.InputTokens, s.OutputTokens, s.CostUsd));

    private static Statement StepStatement(StepRecord s) => new("""
        INSERT OR REPLACE INTO steps VALUES($s,$k,$name,$role,$model,$msgs,$answer,$reasoning,$trunc,$finish,$in,$out,$cost,$sec,$ep,$at)
        """, [("$s", s.SampleId), ("$k", s.StepKey), ("$name", s.Name), ("$role", s.Role), ("$model", s.Model),
        ("$msgs", s.MessagesJson), ("$answer", s.Answer), ("$reasoning", s.Reasoning), ("$trunc", s.Truncated ? 1 : 0),
        ("$finish", s.FinishReason), ("$in", s.InputTokens), ("$out", s.OutputTokens), ("$cost", s.CostUsd),
        ("$sec", s.Seconds), ("$ep", s.Endpoint), ("$at", Time(s.StartedAt))]);

    private const string StepSelect = """
        SELECT sample_id, step_key, name, role, model, messages, answer, reasoning, truncated, finish_reason,
          input_tokens, output_tokens, cost_usd, seconds, endpoint, started_at FROM steps
        """;

    private static StepRecord ReadStep(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        Opt(r, 7), r.GetInt32(8) != 0, Opt(r, 9), r.GetInt64(10), r.GetInt64(11), r.GetDouble(12), r.GetDouble(13),
        Opt(r, 14), ParseTime(r.GetString(15)));

    // ---- grades and usage ---------------------------------------------------------------------------

    public Task SaveGradeAsync(GradeRecord g, CancellationToken ct = default) => WriteAsync(ct, GradeStatement(g));

    /// <summary>Saves a grade and, when the judge was called, its usage row in one transaction.</summary>
    public Task SaveGradeWithUsageAsync(GradeRecord g, CancellationToken ct = default) => g.Usage.Calls == 0
        ? WriteAsync(ct, GradeStatement(g))
        : WriteAsync(ct, GradeStatement(g), UsageStatement(g.SampleId, "grade", g.JudgeName, g.Usage.InputTokens, g.Usage.OutputTokens, g.Usage.CostUsd));

    private static Statement GradeStatement(GradeRecord g) => new("""
        INSERT OR REPLACE INTO grades(sample_id, judge_id, judge_name, status, points, max_points, descr, judge_reply, decided_by,
          details, input_tokens, output_tokens, cost_usd, calls, error, graded_at, answer_hash, seconds)
        VALUES($s,$j,$jn,$status,$points,$max,$desc,$reply,$by,$details,$in,$out,$cost,$calls,$err,$at,$hash,$sec)
        """, [("$s", g.SampleId), ("$j", g.JudgeId), ("$jn", g.JudgeName), ("$status", g.Status), ("$points", g.Points),
        ("$max", g.MaxPoints), ("$desc", g.Desc), ("$reply", g.JudgeReply), ("$by", g.DecidedBy), ("$details", g.Details),
        ("$in", g.Usage.InputTokens), ("$out", g.Usage.OutputTokens), ("$cost", g.Usage.CostUsd), ("$calls", g.Usage.Calls),
        ("$err", g.Error), ("$at", Time(g.GradedAt)), ("$hash", g.AnswerHash), ("$sec", g.Seconds)]);

    /// <summary>Grades by one judge, or (judgeId null) the latest grade of each sample.</summary>
    public Task<IReadOnlyList<GradeRecord>> ListGradesAsync(string? judgeId = null, CancellationToken ct = default) =>
        judgeId is null
            // Exactly one row per sample (the latest grade; ties on the timestamp broken by insertion order), so
            // callers can key by sample.
            ? ReadAsync(GradeSelect.Replace("FROM grades", "FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY sample_id " +
                "ORDER BY graded_at DESC, rowid DESC) AS latest FROM grades) WHERE latest = 1"), ReadGrade, ct)
            : ReadAsync(GradeSelect + " WHERE judge_id=$j", ReadGrade, ct, ("$j", judgeId));

    /// <summary>Every grade of every judge on the samples of one run (all runs when null): statistics keep judges apart.</summary>
    public Task<IReadOnlyList<GradeRecord>> ListGradesOfRunAsync(string? runId, CancellationToken ct = default) =>
        runId is null
            ? ReadAsync(GradeSelect + " ORDER BY rowid", ReadGrade, ct)
            : ReadAsync(GradeSelect + " WHERE sample_id IN (SELECT sample_id FROM samples WHERE run_id=$run) ORDER BY rowid", ReadGrade, ct, ("$run", runId));

    private string GradeSelect => """
        SELECT sample_id, judge_id, judge_name, status, points, max_points, descr, judge_reply, decided_by, details,
          input_tokens, output_tokens, cost_usd, calls, error, graded_at,
        """ + (_hasGradeExtras ? " answer_hash, seconds" : " NULL, 0") + " FROM grades";

    private static GradeRecord ReadGrade(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetDouble(4), r.GetInt32(5),
        Opt(r, 6), Opt(r, 7), Opt(r, 8), Opt(r, 9), new UsageTotals(r.GetInt64(10), r.GetInt64(11), r.GetDouble(12), r.GetInt32(13)),
        Opt(r, 14), ParseTime(r.GetString(15)), Opt(r, 16), r.IsDBNull(17) ? 0 : r.GetDouble(17));

    public Task RecordUsageAsync(string? sampleId, string kind, string model, long inputTokens, long outputTokens, double costUsd,
        CancellationToken ct = default) => WriteAsync(ct, UsageStatement(sampleId, kind, model, inputTokens, outputTokens, costUsd));

    private static Statement UsageStatement(string? sampleId, string kind, string model, long inputTokens, long outputTokens, double costUsd) => new(
        "INSERT INTO usage(sample_id, kind, model, input_tokens, output_tokens, cost_usd, at) VALUES($s,$k,$m,$in,$out,$cost,$at)",
        [("$s", sampleId), ("$k", kind), ("$m", model), ("$in", inputTokens), ("$out", outputTokens), ("$cost", costUsd),
        ("$at", Time(DateTimeOffset.UtcNow))]);

    /// <summary>Dollars recorded so far (solving and grading).</summary>
    public async Task<double> TotalCostAsync(CancellationToken ct = default) =>
        (await ReadAsync("SELECT COALESCE(SUM(cost_usd),0) FROM usage", r => r.GetDouble(0), ct))[0];

    // ---- plumbing -----------------------------------------------------------------------------------

    /// <summary>
    /// Queues one statement and waits until it is committed. Statements waiting at the same moment are committed
    /// together in one transaction (group commit), which is what lets thousands of concurrent samples record
    /// their steps; each caller still returns only after its own write is durable in the WAL.
    /// </summary>
    private Task WriteAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] args) =>
        WriteAsync(ct, new Statement(sql, args));

    /// <summary>Several statements committed together (all or none).</summary>
    private Task WriteAsync(CancellationToken ct, params Statement[] statements) => WriteRowsAsync(ct, statements);

    /// <summary>Like <see cref="WriteAsync(CancellationToken, Statement[])"/>; the result is the number of rows the last statement changed.</summary>
    private Task<int> WriteRowsAsync(CancellationToken ct, params Statement[] statements)
    {
        ct.ThrowIfCancellationRequested();
        if (_db is null) throw new QedException($"{Path}: opened read-only; this command does not write to the run store");
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_writes.Writer.TryWrite(new PendingWrite(statements, done)))
            throw new ObjectDisposedException(nameof(RunStore));
        return done.Task;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingWrite>();
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < 1024 && _writes.Reader.TryRead(out var w)) batch.Add(w);
            try
            {
                using var tx = _db!.BeginTransaction();
                var rows = batch.Select(w => Execute(w, tx)).ToArray();
                tx.Commit();
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(rows[i]);
            }
            catch (Exception)
            {
                // One bad statement must not fail its neighbours: replay them one transaction each.
                foreach (var w in batch)
                {
                    try
                    {
                        using var tx = _db!.BeginTransaction();
                        var rows = Execute(w, tx);
                        tx.Commit();
                        w.Done.TrySetResult(rows);
                    }
                    catch (Exception e) { w.Done.TrySetException(e); }
                }
            }
        }
    }

    private int Execute(PendingWrite w, SqliteTransaction tx)
    {
        var rows = 0;
        foreach (var st in w.Statements)
        {
            if (!_prepared.TryGetValue(st.Sql, out var cmd))
            {
                cmd = _db!.CreateCommand();
                cmd.CommandText = st.Sql;
                foreach (var (n, _) in st.Args) cmd.Parameters.Add(new SqliteParameter { ParameterName = n });
                _prepared[st.Sql] = cmd;
            }
            cmd.Transaction = tx;
            foreach (var (n, v) in st.Args) cmd.Parameters[n].Value = v ?? DBNull.Value;
            rows = cmd.ExecuteNonQuery();
        }
        return rows;
    }

    private async Task<IReadOnlyList<T>> ReadAsync<T>(string sql, Func<SqliteDataReader, T> read, CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await _readGate.WaitAsync(ct);
        try
        {
            if (!_preparedReads.TryGetValue(sql, out var cmd))
            {
                cmd = _reader.CreateCommand();
                cmd.CommandText = sql;
                foreach (var (n, _) in args) cmd.Parameters.Add(new SqliteParameter { ParameterName = n });
                _preparedReads[sql] = cmd;
            }
            foreach (var (n, v) in args) cmd.Parameters[n].Value = v ?? DBNull.Value;
            using var r = cmd.ExecuteReader();
            var list = new List<T>();
            while (r.Read()) list.Add(read(r));
            return list;
        }
        finally { _readGate.Release(); }
    }

    private static string? Opt(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
    private static DateTimeOffset ParseTime(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public async ValueTask DisposeAsync()
    {
        await DisposeClaimsAsync().ConfigureAwait(false); // releases this process's claims while the writer still runs
        _writes.Writer.TryComplete();
        await _writeLoop.ConfigureAwait(false);
        foreach (var cmd in _prepared.Values.Concat(_preparedReads.Values)) cmd.Dispose();
        await _reader.DisposeAsync();
        if (_db is not null) await _db.DisposeAsync();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
