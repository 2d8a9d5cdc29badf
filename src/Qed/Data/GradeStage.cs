using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Grading;
using Qed.Runs;

namespace Qed.Data;

public sealed record GradeOptions
{
    public int Concurrency { get; init; } = 64;
    /// <summary>Grading mode for every row; null picks per row: marking scheme when the row has one, else
    /// reference solution (IMO-ProofBench style), else short answer.</summary>
    public GradingMode? Mode { get; init; }
    /// <summary>Field holding the text to grade.</summary>
    public string ReplyField { get; init; } = "completion";
    public bool RetryFailed { get; init; }
}

/// <summary>
/// <c>qed data grade</c>: grades teacher proofs with the project's <see cref="ProofGrader"/> (the same judge
/// as evaluation and the RL reward) against each row's reference solution, guidelines or marking scheme.
/// Adds <c>points</c> (0–7; null unless graded), <c>verdict</c> (the judge's assessment), <c>grade_status</c>
/// (<c>graded</c>, <c>grade_failed</c>, or <c>skipped</c> for rows whose generation failed), <c>grading_mode</c>
/// and <c>judge</c>. A row is never given points it was not graded for.
/// </summary>
public static class GradeStage
{
    private static readonly string[] Written =
        ["points", "verdict", "grade_status", "grade_error", "grading_mode", "judge", "judge_cost_usd", "input_row"];

    // Fields a generation line carries that must not be mistaken for problem columns.
    private static readonly HashSet<string> NotProblemColumns =
        ["messages", "completion", "reasoning", "finish_reason", "usage", "error", "cost_usd", "index", "request_idx", .. Written];

    public static async Task<StageSummary> RunAsync(string input, ProofGrader grader, string output, GradeOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = await TableReader.ReadAllAsync(input, cancellationToken);
        var items = rows.Select((r, i) => (Index: i, Row: r)).ToList();
        return await RowStage.RunAsync("grade", items, i => i.Index.ToString(), r => DataRow.AsLong(r["input_row"]).ToString(),
            async (item, ct) =>
            {
                var row = new JsonObject { ["input_row"] = item.Index, ["judge"] = grader.JudgeName };
                var reply = item.Row.Text(options.ReplyField);
                if (item.Row.Has("error") || reply is null)
                {
                    row["points"] = null;
                    row["grade_status"] = "skipped";
                    row["grade_error"] = item.Row.Has("error") ? "the generation failed: " + item.Row.Text("error") : $"no '{options.ReplyField}' to grade";
                    return new WorkResult(RowStage.WithInputFields(row, item.Row.Fields, Written), false);
                }
                var problem = ProblemOf(item.Row);
                var mode = options.Mode ?? ModeOf(problem, item.Row);
                row["grading_mode"] = mode.ToString();
                var outcome = await grader.GradeAsync(problem, reply, mode, ct);
                row["points"] = outcome.Points;
                row["verdict"] = outcome.Desc;
                row["grade_status"] = outcome.Status;
                if (outcome.Error is not null) row["grade_error"] = outcome.Error;
                row["judge_cost_usd"] = outcome.Usage.CostUsd;
                return new WorkResult(RowStage.WithInputFields(row, item.Row.Fields, Written), !outcome.IsGraded);
            },
            output, options.Concurrency, rs => rs.OrderBy(r => DataRow.AsLong(r["input_row"])),
            options.RetryFailed ? r => r["grade_status"] is not { } st || DataRow.AsText(st) != GradeStatus.Failed : null,
            progress, cancellationToken);
    }

    /// <summary>The problem a row answers, read with the benchmark loaders' column names.</summary>
    public static Problem ProblemOf(DataRow row)
    {
        var fields = new Dictionary<string, string?>();
        foreach (var (k, v) in row.Fields)
            if (!NotProblemColumns.Contains(k)) fields[k] = v is null ? null : DataRow.AsText(v);
        var problems = ProblemRows.ToProblems(row.File, "data", [new TableRow((int)row.Line, fields)], new ColumnMapping(), []);
        return problems.Count == 1 ? problems[0] : throw new QedException($"{row.Where}: cannot read the problem of this row");
    }

    private static GradingMode ModeOf(Problem p, DataRow row)
    {
        if (!string.IsNullOrWhiteSpace(p.MarkingScheme)) return GradingMode.MarkingScheme;
        if (!string.IsNullOrWhiteSpace(p.ReferenceSolution)) return GradingMode.Proof;
        if (!string.IsNullOrWhiteSpace(p.ShortAnswer)) return GradingMode.Answer;
        throw new QedException($"{row.Where}: nothing to grade against: no reference solution, marking scheme or short answer field");
    }
}
