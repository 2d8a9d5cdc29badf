using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Qed.Viewer.Tests.Viewer;

public sealed record SeedProblem(string Id, string Statement, string? Level, string? Category,
    string? ReferenceSolution = null, string? Guidelines = null, string? MarkingScheme = null);

public sealed record SeedStep(string Name, string Role, string Prompt, string Answer, long InputTokens, long OutputTokens);

/// <param name="Points">the judge's points out of 7; null = not graded; with <paramref name="GradeFailed"/> the judge failed.</param>
public sealed record SeedSample(SeedProblem Problem, int Index, string Status, string? Answer, double? Points,
    string? Verdict = null, bool GradeFailed = false, string? Reasoning = null, string? Error = null,
    long InputTokens = 500, long OutputTokens = 2000, double CostUsd = 0.01, IReadOnlyList<SeedStep>? Steps = null);

public sealed record SeedRun(string RunId, string Benchmark, string Model, string? Scaffold, IReadOnlyList<SeedSample> Samples);

/// <summary>Writes runs into a fresh run store file for a test.</summary>
public static class SeededStore
{
    public static async Task WriteAsync(string path, IEnumerable<SeedRun> runs)
    {
        // TEMPORARY until the evaluation branch's RunStore lands: the same schema, written directly.
        await using var db = new SqliteConnection($"Data Source={path};Pooling=False");
        await db.OpenAsync();
        await Exec(db, Schema);
        await using var tx = await db.BeginTransactionAsync();
        var at = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var n = 0;
        foreach (var run in runs)
        {
            await Exec(db, "INSERT INTO runs VALUES($id,$b,'proof',$m,'{}',$s,NULL,'h',$at)",
                ("$id", run.RunId), ("$b", run.Benchmark), ("$m", run.Model), ("$s", run.Scaffold), ("$at", Time(at.AddMinutes(n++))));
            foreach (var s in run.Samples)
            {
                var id = $"{run.RunId}/{s.Problem.Id}/{s.Index}";
                var problem = JsonSerializer.Serialize(new
                {
                    id = s.Problem.Id, statement = s.Problem.Statement, referenceSolution = s.Problem.ReferenceSolution,
                    guidelines = s.Problem.Guidelines, markingScheme = s.Problem.MarkingScheme, level = s.Problem.Level,
                    category = s.Problem.Category, benchmark = run.Benchmark,
                });
                await Exec(db, """
                    INSERT INTO samples(sample_id, run_id, problem_id, run_index, problem, status, answer, reasoning, error,
                      input_tokens, output_tokens, cost_usd, calls, seconds, updated_at)
                    VALUES($id,$run,$pid,$idx,$p,$st,$a,$r,$e,$in,$out,$cost,1,1.0,$at)
                    """, ("$id", id), ("$run", run.RunId), ("$pid", s.Problem.Id), ("$idx", s.Index), ("$p", problem), ("$st", s.Status),
                    ("$a", s.Answer), ("$r", s.Reasoning), ("$e", s.Error), ("$in", s.InputTokens), ("$out", s.OutputTokens),
                    ("$cost", s.CostUsd), ("$at", Time(at)));
                var k = 0;
                foreach (var step in s.Steps ?? [])
                {
                    var messages = JsonSerializer.Serialize(new[] { new { role = "user", content = step.Prompt } });
                    await Exec(db, "INSERT INTO steps VALUES($s,$k,$n,$role,'m',$msg,$a,NULL,0,'stop',$in,$out,0.001,1.0,NULL,$at)",
                        ("$s", id), ("$k", $"step-{k++}"), ("$n", step.Name), ("$role", step.Role), ("$msg", messages), ("$a", step.Answer),
                        ("$in", step.InputTokens), ("$out", step.OutputTokens), ("$at", Time(at)));
                }
                if (s.Points is not null || s.GradeFailed)
                    await Exec(db, "INSERT INTO grades VALUES($s,'judge-1','gpt-oss-20b',$st,$p,7,NULL,$reply,'judge',NULL,100,50,0.001,1,$err,$at)",
                        ("$s", id), ("$st", s.GradeFailed ? "grade_failed" : "graded"), ("$p", s.GradeFailed ? null : s.Points),
                        ("$reply", s.Verdict), ("$err", s.GradeFailed ? "judge reply had no points tag" : null), ("$at", Time(at)));
            }
        }
        await tx.CommitAsync();
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static async Task Exec(SqliteConnection db, string sql, params (string, object?)[] args)
    {
        await using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync();
    }

    private const string Schema = """
        PRAGMA journal_mode=WAL;
        CREATE TABLE IF NOT EXISTS runs(
          run_id TEXT PRIMARY KEY, benchmark TEXT NOT NULL, grading_mode TEXT NOT NULL, model_name TEXT NOT NULL,
          model_config TEXT NOT NULL, scaffold_name TEXT, scaffold_config TEXT, prompts_hash TEXT NOT NULL, created_at TEXT NOT NULL);
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
          error TEXT, graded_at TEXT NOT NULL, PRIMARY KEY(sample_id, judge_id));
        """;
}
