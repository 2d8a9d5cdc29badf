using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Qed.Runs;
using Qed.Stats;

namespace Qed.Viewer.ReadModel;

/// <summary>
/// Read-side queries over the run store's SQLite schema (tables runs, samples, steps, grades; see
/// <c>Qed.Runs.RunStore</c>). Filtering, aggregation and paging happen in SQL so a run of 10,000 samples costs a
/// page of rows per request. Each call opens its own connection and never writes, so the viewer can read a store
/// that <c>qed eval</c> is still filling (WAL).
/// </summary>
public sealed class RunStoreResults : IRunResults
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _connectionString;

    /// <summary>Per-text limit on one regular-expression match, and on a whole search.</summary>
    public TimeSpan RegexMatchTimeout { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan SearchTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public string Path { get; }

    /// <summary>Only grades of these judges (ids) count (<c>qed report --judge</c>, <see cref="ForJudge"/>). Null: no grade counts
    /// in the SQL aggregates (statuses are the solver's, scores empty: a score always names its judge, so pages scope to one
    /// with <see cref="ForJudge"/>), and the problem page shows every judge's grade, each labelled.</summary>
    public IReadOnlyCollection<string>? JudgeIds { get; init; }

    /// <summary>Only these runs are listed (<c>qed report --run/--model/--scaffold/--bench</c>); null: every run.</summary>
    public IReadOnlyCollection<string>? RunIds { get; init; }

    // Ids are hex hashes written by Qed; quoting doubles any quote all the same, so the clause can never break out.
    private string JudgeFilter => JudgeClause("h");

    private string JudgeClause(string alias) => JudgeIds is null ? ""
        : $" AND {alias}.judge_id IN (" + string.Join(",", JudgeIds.Select(id => "'" + id.Replace("'", "''") + "'")) + ")";

    /// <summary>The same store with only one judge's grades counting: every score, status and verdict a page shows then
    /// belongs to that (run, judge), never to another judge's latest grade.</summary>
    public IRunResults ForJudge(string judgeId) => new RunStoreResults(Path)
    {
        RunIds = RunIds, JudgeIds = [judgeId], RegexMatchTimeout = RegexMatchTimeout, SearchTimeout = SearchTimeout,
    };

    /// <summary>The judges that graded any sample of the run, in first-graded order and named as <c>qed stats</c> names them
    /// (<see cref="StatsQuery.Judges(IEnumerable{JudgeRef})"/>: a second prompt under one name gets <c>#id</c>).</summary>
    public async Task<IReadOnlyList<JudgeRef>> JudgesAsync(string runId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await JudgesAsync(db, runId, ct);
    }

    private async Task<IReadOnlyList<JudgeRef>> JudgesAsync(SqliteConnection db, string runId, CancellationToken ct)
    {
        // Only two narrow columns per grade, in storage order as RunStore.ListGradesOfRunAsync returns them.
        var graded = await ReadAsync(db, """
            SELECT judge_id, judge_name FROM grades WHERE sample_id IN (SELECT sample_id FROM samples WHERE run_id = $run) ORDER BY rowid
            """, r => new JudgeRef(r.GetString(0), r.GetString(1)), ct, ("$run", runId));
        return StatsQuery.Judges(graded).Where(j => JudgeIds is null || JudgeIds.Contains(j.Id)).ToList();
    }

    /// <summary>One <see cref="EvalStats"/> per (run, judge) — of one run, or of every listed run — computed by Qed.Stats
    /// exactly as <c>qed stats</c> computes them, so the viewer and the command cannot disagree.</summary>
    public async Task<IReadOnlyList<EvalStats>> ScoresAsync(string? runId, CancellationToken ct)
    {
        await using var store = await RunStore.OpenReadOnlyAsync(Path, ct);
        var list = new List<EvalStats>();
        foreach (var run in await store.ListRunsAsync(ct))
        {
            if ((runId is not null && run.RunId != runId) || (RunIds is not null && !RunIds.Contains(run.RunId))) continue;
            list.AddRange((await StatsQuery.ComputeRunAsync(store, run, ct))
                .Where(s => JudgeIds is null || s.Judge is null || JudgeIds.Contains(s.Judge.Id)));
        }
        return list;
    }

    public RunStoreResults(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(Path)) throw new QedException($"{Path}: no run store here (run `qed eval` first, or pass --db PATH)");
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWrite, Pooling = false, DefaultTimeout = 10 }.ToString();
    }

    // Tokens and dollars come from the narrow usage table (one row per model call, as SolverContext and the grader
    // record them) rather than from samples.input_tokens…, which SQLite can only reach by walking each row's
    // overflow pages past the stored answer and reasoning: on a 1 GB store of 10,000 long proofs that is ~0.75 s
    // per scan against ~0.03 s. A sample without usage rows (e.g. a store written by other tools) falls back to
    // its own columns.
    // Effective status of a sample: its own status, except a sample whose grade by the judge in view failed.
    // Score: points / max_points of the latest grade of a finished sample (ok, truncated, budget_exhausted) when it
    // graded; NULL otherwise (never 0 for "unknown"). The same rule as Qed.Stats.EvalStats.
    private string SampleScores => $$"""
        spend AS (
          SELECT u.sample_id, SUM(u.input_tokens) AS i, SUM(u.output_tokens) AS o, SUM(u.cost_usd) AS c
          FROM usage u WHERE u.kind = 'solve' AND u.sample_id IN (SELECT sample_id FROM samples WHERE run_id = $run)
          GROUP BY u.sample_id),
        latest AS (
          SELECT g.sample_id, g.status, g.points, g.max_points, g.judge_name, g.judge_reply, g.descr, g.error
          FROM grades g
          WHERE {{(JudgeIds is null ? "0 AND " : "")}}g.rowid = (SELECT h.rowid FROM grades h WHERE h.sample_id = g.sample_id{{JudgeFilter}} ORDER BY h.graded_at DESC LIMIT 1)),
        scored AS (
          SELECT s.sample_id, s.run_id, s.problem_id, s.run_index, s.problem, s.answer, s.reasoning,
            COALESCE(sp.i, s.input_tokens) AS input_tokens, COALESCE(sp.o, s.output_tokens) AS output_tokens,
            COALESCE(sp.c, s.cost_usd) AS cost_usd,
            CASE WHEN l.status = 'grade_failed' THEN 'grade_failed' ELSE s.status END AS vstatus,
            CASE WHEN s.status IN ('ok', 'truncated', 'budget_exhausted') AND l.status = 'graded' AND l.points IS NOT NULL
                   AND l.max_points > 0 THEN l.points * 1.0 / l.max_points END AS score
          FROM samples s LEFT JOIN latest l ON l.sample_id = s.sample_id LEFT JOIN spend sp ON sp.sample_id = s.sample_id
          WHERE s.run_id = $run)
        """;

    public async Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var runs = await ReadAsync(db, "SELECT run_id, benchmark, model_name, scaffold_name, created_at FROM runs ORDER BY created_at, run_id",
            r => (Id: r.GetString(0), Bench: r.GetString(1), Model: r.GetString(2), Scaffold: Opt(r, 3), At: Opt(r, 4)), ct);
        var list = new List<RunSummary>();
        foreach (var run in runs.Where(r => RunIds is null || RunIds.Contains(r.Id)))
            list.Add(await SummaryAsync(db, run.Id, run.Model, run.Bench, run.Scaffold, run.At, ct));
        return list;
    }

    public async Task<RunSummary?> RunAsync(string runId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var runs = await ReadAsync(db, "SELECT run_id, benchmark, model_name, scaffold_name, created_at FROM runs WHERE run_id = $run",
            r => (Id: r.GetString(0), Bench: r.GetString(1), Model: r.GetString(2), Scaffold: Opt(r, 3), At: Opt(r, 4)), ct, ("$run", runId));
        if (runs.Count == 0) return null;
        var run = runs[0];
        return await SummaryAsync(db, run.Id, run.Model, run.Bench, run.Scaffold, run.At, ct);
    }

    private async Task<RunSummary> SummaryAsync(SqliteConnection db, string runId, string model, string bench, string? scaffold, string? at, CancellationToken ct)
    {
        // One pass over the run's samples, grouped by status and repetition; the rest is arithmetic here.
        var cells = await ReadAsync(db, $"""
            WITH {SampleScores}
            SELECT vstatus, run_index, COUNT(*), COUNT(score), COALESCE(SUM(score), 0),
              COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), COALESCE(SUM(cost_usd), 0)
            FROM scored GROUP BY vstatus, run_index
            """, r => (Status: r.GetString(0), Rep: r.GetInt32(1), Samples: r.GetInt32(2), Graded: r.GetInt32(3), ScoreSum: r.GetDouble(4),
                In: r.GetInt64(5), Out: r.GetInt64(6), Cost: r.GetDouble(7)), ct, ("$run", runId));
        var totals = (Samples: cells.Sum(c => c.Samples), Graded: cells.Sum(c => c.Graded),
            In: cells.Sum(c => c.In), Out: cells.Sum(c => c.Out), Cost: cells.Sum(c => c.Cost));
        var statuses = cells.GroupBy(c => c.Status).Select(g => (Status: g.Key, Count: g.Sum(c => c.Samples)));
        // As qed stats (Qed.Stats.EvalStats): every planned sample counts, one without a valid grade as 0 (fillna(0)).
        var repetitions = totals.Graded == 0 ? [] : cells.GroupBy(c => c.Rep).OrderBy(g => g.Key)
            .Select(g => g.Sum(c => c.ScoreSum) / g.Sum(c => c.Samples)).ToList();
        // Usage rows do not say which judge id spent them: with a judge selected, the grades' own costs are summed.
        var judgeCost = (await ReadAsync(db, JudgeIds is null ? """
            SELECT COALESCE(
              (SELECT SUM(u.cost_usd) FROM usage u WHERE u.kind = 'grade' AND u.sample_id IN (SELECT sample_id FROM samples WHERE run_id = $run)),
              (SELECT SUM(g.cost_usd) FROM grades g JOIN samples s ON s.sample_id = g.sample_id WHERE s.run_id = $run),
              0)
            """ : $"SELECT COALESCE((SELECT SUM(h.cost_usd) FROM grades h JOIN samples s ON s.sample_id = h.sample_id WHERE s.run_id = $run{JudgeFilter}), 0)",
            r => r.GetDouble(0), ct, ("$run", runId)))[0];
        DateTimeOffset? started = DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t) ? t : null;
        return new RunSummary(runId, model, bench, string.IsNullOrEmpty(scaffold) ? null : scaffold, started, totals.Samples, totals.Graded,
            repetitions.Count > 0 ? repetitions.Average() : null, new UsageView(totals.In, totals.Out, (decimal)totals.Cost),
            statuses.ToDictionary(s => s.Status, s => s.Count, StringComparer.Ordinal), repetitions, (decimal)judgeCost);
    }

    public async Task<ProblemFacets> FacetsAsync(string runId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var combos = await ReadAsync(db, $"""
            WITH {SampleScores}
            SELECT DISTINCT CAST(json_extract(problem, '$.level') AS TEXT), CAST(json_extract(problem, '$.category') AS TEXT), vstatus FROM scored
            """, r => (Level: Opt(r, 0), Category: Opt(r, 1), Status: r.GetString(2)), ct, ("$run", runId));
        static IReadOnlyList<string> Values(IEnumerable<string?> xs) =>
            xs.OfType<string>().Distinct().OrderBy(x => x, StringComparer.Ordinal).ToList();
        return new ProblemFacets(Values(combos.Select(c => c.Level)), Values(combos.Select(c => c.Category)), Values(combos.Select(c => c.Status)));
    }

    public async Task<Paged<ProblemRow>> ProblemsAsync(string runId, ProblemQuery query, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var args = new List<(string, object?)> { ("$run", runId) };
        var where = new List<string>();
        var having = new List<string>();
        if (query.Level is { } level) { where.Add("CAST(json_extract(problem, '$.level') AS TEXT) = $level"); args.Add(("$level", level)); }
        if (query.Category is { } cat) { where.Add("CAST(json_extract(problem, '$.category') AS TEXT) = $category"); args.Add(("$category", cat)); }
        if (query.Status is { } status) { having.Add("SUM(vstatus = $status) > 0"); args.Add(("$status", status)); }
        if (query.MinScore is { } min) { having.Add("AVG(score) >= $min - 1e-9"); args.Add(("$min", min)); }
        if (query.MaxScore is { } max) { having.Add("AVG(score) <= $max + 1e-9"); args.Add(("$max", max)); }
        var search = query.Text is { } text ? new TextSearch(text, query.Regex, RegexMatchTimeout, SearchTimeout) : null;
        if (search is not null)
        {
            db.CreateFunction<string?, bool>("qed_match", search.Matches, isDeterministic: true);
            having.Add("MAX(qed_match(CAST(json_extract(problem, '$.statement') AS TEXT)) OR qed_match(answer)) = 1");
        }
        var grouped = $"""
            WITH {SampleScores}
            SELECT problem_id, CAST(json_extract(MIN(problem), '$.level') AS TEXT) AS level,
              CAST(json_extract(MIN(problem), '$.category') AS TEXT) AS category,
              COUNT(*) AS n, COUNT(score) AS graded, AVG(score) AS score, group_concat(vstatus, ',') AS statuses,
              COALESCE(SUM(output_tokens), 0) AS out_tokens
            FROM scored
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            GROUP BY problem_id
            {(having.Count > 0 ? "HAVING " + string.Join(" AND ", having) : "")}
            """;
        try
        {
            // The page and the total in one pass (a window count over the grouped rows).
            var pageArgs = new List<(string, object?)>(args) { ("$limit", query.PageSize), ("$offset", query.Offset) };
            var rows = await ReadAsync(db, $"SELECT *, COUNT(*) OVER () FROM ({grouped}) ORDER BY problem_id LIMIT $limit OFFSET $offset", r => (Row: new ProblemRow(
                r.GetString(0), Opt(r, 1), Opt(r, 2), r.GetInt32(3), r.GetInt32(4), r.IsDBNull(5) ? null : r.GetDouble(5),
                CountStatuses(Opt(r, 6)), r.GetInt64(7)), Total: r.GetInt32(8)), ct, [.. pageArgs]);
            var total = rows.Count > 0 || query.Offset == 0
                ? rows.FirstOrDefault().Total
                : (await ReadAsync(db, $"SELECT COUNT(*) FROM ({grouped})", r => r.GetInt32(0), ct, [.. args]))[0]; // a page past the end
            return new Paged<ProblemRow>(rows.Select(r => r.Row).ToList(), total, Math.Max(1, query.Page), query.PageSize);
        }
        catch (SqliteException) when (search?.Failure is { } failure)
        {
            throw failure;
        }
    }

    public async Task<ProblemPage?> ProblemAsync(string runId, string problemId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var runs = await ReadAsync(db, "SELECT run_id, model_name, benchmark, scaffold_name FROM runs WHERE run_id = $run",
            r => new RunHeader(r.GetString(0), r.GetString(1), r.GetString(2), Opt(r, 3) is { Length: > 0 } sc ? sc : null), ct, ("$run", runId));
        if (runs.Count == 0) return null;
        var run = runs[0];
        // Only this problem's few samples are read, so their own wide rows are cheap here. Grades come separately: one per
        // (sample, judge) that this view counts, each labelled with its judge, never "the latest of any judge".
        var rows = await ReadAsync(db, """
            WITH spend AS (
              SELECT u.sample_id, SUM(u.input_tokens) AS i, SUM(u.output_tokens) AS o, SUM(u.cost_usd) AS c FROM usage u
              WHERE u.kind = 'solve' AND u.sample_id IN (SELECT sample_id FROM samples WHERE run_id = $run AND problem_id = $pid)
              GROUP BY u.sample_id)
            SELECT s.sample_id, s.run_index, s.status, s.answer, s.reasoning, s.error,
              COALESCE(sp.i, s.input_tokens), COALESCE(sp.o, s.output_tokens), COALESCE(sp.c, s.cost_usd), s.problem
            FROM samples s LEFT JOIN spend sp ON sp.sample_id = s.sample_id
            WHERE s.run_id = $run AND s.problem_id = $pid ORDER BY s.run_index
            """, r => (Sample: new SampleView(
                r.GetString(0), r.GetInt32(1), r.GetString(2), Opt(r, 3), Opt(r, 4), Opt(r, 5), [],
                new UsageView(r.GetInt64(6), r.GetInt64(7), (decimal)r.GetDouble(8)), []), Problem: r.GetString(9)),
            ct, ("$run", runId), ("$pid", problemId));
        if (rows.Count == 0) return null;
        var judgeList = await JudgesAsync(db, runId, ct);
        var judges = judgeList.ToDictionary(j => j.Id, j => j);
        var grades = await ReadAsync(db, $"""
            SELECT g.sample_id, g.judge_id, g.status, g.points, g.max_points, g.judge_reply, g.descr, g.error
            FROM grades g JOIN samples s ON s.sample_id = g.sample_id
            WHERE s.run_id = $run AND s.problem_id = $pid{JudgeClause("g")}
            ORDER BY g.graded_at, g.rowid
            """, r => (Sample: r.GetString(0), JudgeId: r.GetString(1), Grade: new GradeView(r.GetString(2), r.IsDBNull(3) ? null : r.GetDouble(3),
                r.GetInt32(4), Opt(r, 5) ?? Opt(r, 6), judges.GetValueOrDefault(r.GetString(1))?.Name, Opt(r, 7))),
            ct, ("$run", runId), ("$pid", problemId));
        // The latest grade of each (sample, judge), judges in first-graded order.
        var order = judgeList.Select((j, i) => (j.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var bySample = grades.GroupBy(g => g.Sample).ToDictionary(g => g.Key, g => (IReadOnlyList<GradeView>)g
            .GroupBy(x => x.JudgeId).OrderBy(j => order.GetValueOrDefault(j.Key, int.MaxValue)).Select(j => j.Last().Grade).ToList());
        var problem = ParseProblem(rows[0].Problem, problemId, run.Benchmark);
        var samples = new List<SampleView>();
        foreach (var (sample, _) in rows)
        {
            var mine = bySample.GetValueOrDefault(sample.SampleId) ?? [];
            // A sample reads grade_failed only when every grade shown for it failed (with one judge: that judge's grade).
            var status = mine.Count > 0 && mine.All(g => g.Status == "grade_failed") ? "grade_failed" : sample.Status;
            samples.Add(sample with { Status = status, Grades = mine, Steps = await StepsAsync(db, sample.SampleId, ct) });
        }
        return new ProblemPage(run, problem, samples);
    }

    private static async Task<IReadOnlyList<StepView>> StepsAsync(SqliteConnection db, string sampleId, CancellationToken ct)
    {
        var steps = await ReadAsync(db, """
            SELECT step_key, name, role, model, truncated, finish_reason, input_tokens, output_tokens, cost_usd
            FROM steps WHERE sample_id = $s ORDER BY rowid
            """, r => (Key: r.GetString(0), Name: r.GetString(1), Role: r.GetString(2), Model: r.GetString(3), Truncated: r.GetInt32(4) != 0,
                Finish: Opt(r, 5), Usage: new UsageView(r.GetInt64(6), r.GetInt64(7), (decimal)r.GetDouble(8))), ct, ("$s", sampleId));
        return steps.Select((s, i) => new StepView(i + 1, s.Key, $"{s.Name} ({s.Role}, {s.Model})", s.Truncated ? "truncated" : s.Finish, s.Usage)).ToList();
    }

    public async Task<IReadOnlyList<MessageView>?> StepMessagesAsync(string runId, string sampleId, string stepKey, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        var steps = await ReadAsync(db, """
            SELECT st.messages, st.reasoning, st.answer FROM steps st JOIN samples s ON s.sample_id = st.sample_id
            WHERE s.run_id = $run AND st.sample_id = $s AND st.step_key = $k
            """, r => (Messages: r.GetString(0), Reasoning: Opt(r, 1), Answer: r.GetString(2)), ct, ("$run", runId), ("$s", sampleId), ("$k", stepKey));
        if (steps.Count == 0) return null;
        var step = steps[0];
        var messages = StepMessages.Parse(step.Messages).ToList();
        if (!string.IsNullOrEmpty(step.Reasoning)) messages.Add(new MessageView("reasoning", step.Reasoning));
        messages.Add(new MessageView("assistant", step.Answer));
        return messages;
    }

    public async Task<Paged<ComparisonRow>> CompareAsync(string runA, string? judgeA, string runB, string? judgeB, int page, int pageSize, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        // Each run scored by its own judge (null: that run's latest grade of the judges this view counts).
        string PerProblem(string run, string judge) => $"""
            SELECT s.problem_id AS pid, MIN(s.problem) AS problem,
              AVG(CASE WHEN s.status IN ('ok', 'truncated', 'budget_exhausted') AND l.status = 'graded' AND l.points IS NOT NULL
                       AND l.max_points > 0 THEN l.points * 1.0 / l.max_points END) AS score
            FROM samples s
            LEFT JOIN grades l ON l.rowid = (SELECT h.rowid FROM grades h WHERE h.sample_id = s.sample_id{JudgeFilter}
              AND {(JudgeIds is null ? $"h.judge_id = {judge}" : $"({judge} IS NULL OR h.judge_id = {judge})")} ORDER BY h.graded_at DESC LIMIT 1)
            WHERE s.run_id = {run} GROUP BY s.problem_id
            """;
        var joined = $"""
            WITH a AS ({PerProblem("$a", "$ja")}), b AS ({PerProblem("$b", "$jb")}),
            ids AS (SELECT pid FROM a UNION SELECT pid FROM b)
            SELECT ids.pid, CAST(json_extract(COALESCE(a.problem, b.problem), '$.level') AS TEXT),
              CAST(json_extract(COALESCE(a.problem, b.problem), '$.category') AS TEXT), a.score, b.score
            FROM ids LEFT JOIN a ON a.pid = ids.pid LEFT JOIN b ON b.pid = ids.pid
            """;
        (string, object?)[] args = [("$a", runA), ("$b", runB), ("$ja", judgeA), ("$jb", judgeB)];
        var total = (await ReadAsync(db, $"SELECT COUNT(*) FROM ({joined})", r => r.GetInt32(0), ct, args))[0];
        page = Math.Max(1, page);
        var rows = await ReadAsync(db, joined + """
             ORDER BY CASE WHEN a.score IS NULL OR b.score IS NULL THEN 1 ELSE 0 END, ABS(COALESCE(b.score - a.score, 0)) DESC, ids.pid
             LIMIT $limit OFFSET $offset
            """, r => new ComparisonRow(r.GetString(0), Opt(r, 1), Opt(r, 2), r.IsDBNull(3) ? null : r.GetDouble(3), r.IsDBNull(4) ? null : r.GetDouble(4)),
            ct, [.. args, ("$limit", pageSize), ("$offset", (page - 1L) * pageSize)]);
        return new Paged<ComparisonRow>(rows, total, page, pageSize);
    }

    public async Task<IReadOnlyList<SamplePoint>> SamplePointsAsync(string runId, CancellationToken ct)
    {
        await using var db = await OpenAsync(ct);
        return await ReadAsync(db, $"""
            WITH {SampleScores}
            SELECT problem_id, CAST(json_extract(problem, '$.level') AS TEXT), CAST(json_extract(problem, '$.category') AS TEXT), score,
              input_tokens, output_tokens, cost_usd
            FROM scored ORDER BY problem_id, run_index
            """, r => new SamplePoint(runId, r.GetString(0), Opt(r, 1), Opt(r, 2), r.IsDBNull(3) ? null : r.GetDouble(3),
                new UsageView(r.GetInt64(4), r.GetInt64(5), (decimal)r.GetDouble(6))), ct, ("$run", runId));
    }

    private static ProblemView ParseProblem(string json, string problemId, string benchmark)
    {
        var p = JsonSerializer.Deserialize<StoredProblem>(json, Json) ?? new StoredProblem();
        return new ProblemView(p.Id ?? problemId, p.Benchmark ?? benchmark, p.Statement ?? "", p.ReferenceSolution, p.Guidelines,
            p.MarkingScheme, p.ShortAnswer, p.Level, p.Category);
    }

    // The problem JSON as the run store writes it (Qed.Benchmarks.Problem, web naming); read loosely so a field
    // added later on the writing side does not break the viewer.
    private sealed class StoredProblem
    {
        public string? Id { get; set; }
        public string? Statement { get; set; }
        public string? ReferenceSolution { get; set; }
        public string? Guidelines { get; set; }
        public string? MarkingScheme { get; set; }
        public string? ShortAnswer { get; set; }
        public string? Level { get; set; }
        public string? Category { get; set; }
        public string? Benchmark { get; set; }
    }

    private static IReadOnlyDictionary<string, int> CountStatuses(string? joined) =>
        (joined ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var db = new SqliteConnection(_connectionString);
        try
        {
            await db.OpenAsync(ct);
            await using var cmd = db.CreateCommand();
            cmd.CommandText = "PRAGMA query_only = ON; PRAGMA busy_timeout = 10000;";
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (SqliteException e)
        {
            await db.DisposeAsync();
            throw new QedException($"{Path}: cannot open the run store: {e.Message}");
        }
        return db;
    }

    private static async Task<IReadOnlyList<T>> ReadAsync<T>(SqliteConnection db, string sql, Func<SqliteDataReader, T> read,
        CancellationToken ct, params (string Name, object? Value)[] args)
    {
        await using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<T>();
        while (await r.ReadAsync(ct)) list.Add(read(r));
        return list;
    }

    private static string? Opt(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetValue(i) switch
    {
        string s => s,
        var v => Convert.ToString(v, CultureInfo.InvariantCulture),
    };

    /// <summary>One search: a case-insensitive substring, or a regular expression bounded per text and overall.</summary>
    private sealed class TextSearch
    {
        private readonly string _text;
        private readonly Regex? _regex;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly TimeSpan _budget;

        public Exception? Failure { get; private set; }

        public TextSearch(string text, bool regex, TimeSpan matchTimeout, TimeSpan budget)
        {
            _text = text;
            _budget = budget;
            // Construction errors (bad syntax) surface before any SQL runs.
            _regex = regex ? new Regex(text, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Multiline, matchTimeout) : null;
        }

        public bool Matches(string? value)
        {
            if (value is null) return false;
            if (_clock.Elapsed > _budget)
            {
                Failure ??= new SearchTimeoutException($"The search ran longer than {_budget.TotalSeconds:0.#} s and was stopped; narrow it with the other filters or a simpler pattern.");
                throw Failure;
            }
            if (_regex is null) return value.Contains(_text, StringComparison.OrdinalIgnoreCase);
            try
            {
                return _regex.IsMatch(value);
            }
            catch (RegexMatchTimeoutException e)
            {
                Failure ??= e;
                throw;
            }
        }
    }
}
