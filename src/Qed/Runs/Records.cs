using Qed.Benchmarks;

namespace Qed.Runs;

/// <summary>Where one sample (one problem, one run index) stands.</summary>
public enum SampleStatus { Pending, Ok, Truncated, Failed, BudgetExhausted }

public static class SampleStatusText
{
    public static string ToText(this SampleStatus s) => s switch
    {
        SampleStatus.Pending => "pending",
        SampleStatus.Ok => "ok",
        SampleStatus.Truncated => "truncated",
        SampleStatus.Failed => "failed",
        SampleStatus.BudgetExhausted => "budget_exhausted",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static SampleStatus Parse(string s) => s switch
    {
        "pending" => SampleStatus.Pending,
        "ok" => SampleStatus.Ok,
        "truncated" => SampleStatus.Truncated,
        "failed" => SampleStatus.Failed,
        "budget_exhausted" => SampleStatus.BudgetExhausted,
        _ => throw new FormatException("unknown sample status " + s),
    };

    /// <summary>Finished samples are never requested again; failed and pending ones are.</summary>
    public static bool IsFinished(this SampleStatus s) => s is SampleStatus.Ok or SampleStatus.Truncated or SampleStatus.BudgetExhausted;
}

/// <summary>One run: a model (or scaffold over models) with fixed prompts and protocol, identified by their content hash.
/// Its samples are the problems × sample indexes 0..K-1 (<c>--runs K</c>).</summary>
/// <param name="Protocol"><c>qed</c> (our prompts and rules), <c>qed-nano</c> (the original harness's) or a protocol folder's label.</param>
public sealed record RunInfo(string RunId, string Benchmark, string GradingMode, string ModelName, string ModelConfigJson,
    string? ScaffoldName, string? ScaffoldConfigJson, string PromptsHash, DateTimeOffset CreatedAt, string Protocol = RunInfo.DefaultProtocol)
{
    public const string DefaultProtocol = "qed";
}

/// <summary>Tokens, dollars and calls spent.</summary>
public sealed record UsageTotals(long InputTokens, long OutputTokens, double CostUsd, int Calls)
{
    public static UsageTotals Zero { get; } = new(0, 0, 0, 0);
    public UsageTotals Add(long input, long output, double cost) => new(InputTokens + input, OutputTokens + output, CostUsd + cost, Calls + 1);
}

public sealed record SampleRecord(
    string SampleId, string RunId, string ProblemId, int RunIndex, Problem Problem, SampleStatus Status,
    string? Answer, string? Reasoning, string? Error, UsageTotals Usage, double Seconds, DateTimeOffset UpdatedAt);

/// <summary>One model call inside a sample, as the solver made it.</summary>
public sealed record StepRecord(
    string SampleId, string StepKey, string Name, string Role, string Model, string MessagesJson,
    string Answer, string? Reasoning, bool Truncated, string? FinishReason,
    long InputTokens, long OutputTokens, double CostUsd, double Seconds, string? Endpoint, DateTimeOffset StartedAt);

/// <summary>Grade status: graded (points are meaningful) or grade_failed (no score; never counted as 0).</summary>
public static class GradeStatus
{
    public const string Graded = "graded";
    public const string Failed = "grade_failed";
}

/// <param name="JudgeId">content hash of the judge config and grading prompt.</param>
/// <param name="DecidedBy">which stage decided: e.g. <c>judge</c>, <c>answer-checker</c>.</param>
/// <param name="Details">JSON with the parsed verdict details (e.g. <c>[{"points":7,"desc":"..."}]</c>).</param>
/// <param name="AnswerHash">hash of the answer this grade judged (<see cref="AnswerHashing.Of"/>); a grade whose sample's answer
/// has changed since is not counted. Null on grades written before the hash was recorded (counted as before).</param>
/// <param name="Seconds">wall time the grading took (the original's <c>grade_cost.time</c>).</param>
public sealed record GradeRecord(
    string SampleId, string JudgeId, string JudgeName, string Status, double? Points, int MaxPoints, string? Desc,
    string? JudgeReply, string? DecidedBy, string? Details, UsageTotals Usage, string? Error, DateTimeOffset GradedAt,
    string? AnswerHash = null, double Seconds = 0)
{
    /// <summary>A grade that scores its sample: graded, with points, of the answer the sample holds now.</summary>
    public bool CountsFor(SampleRecord sample) =>
        Status == GradeStatus.Graded && Points is not null && sample.Status.IsFinished()
        && (AnswerHash is null || AnswerHash == AnswerHashing.Of(sample.Answer));
}

/// <summary>The identity of a graded answer: a grade stores it so that an answer overwritten later is never scored by it.</summary>
public static class AnswerHashing
{
    public static string Of(string? answer) => Qed.Llm.Hashing.Sha256Hex("answer", answer ?? "");
}
