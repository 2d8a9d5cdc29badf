namespace Qed.Benchmarks;

/// <summary>One benchmark problem, whatever file it came from.</summary>
/// <param name="Guidelines">IMO-ProofBench grading guidelines (partial-credit notes for the judge).</param>
/// <param name="MarkingScheme">ProofBench 0–7 marking scheme.</param>
/// <param name="ShortAnswer">the expected final answer (IMO-AnswerBench), when there is one.</param>
/// <param name="InputRow">the benchmark row as read (JSON object of every column), so exports keep the input columns.</param>
public sealed record Problem(
    string Id,
    string Statement,
    string? ReferenceSolution = null,
    string? Guidelines = null,
    string? MarkingScheme = null,
    string? ShortAnswer = null,
    string? Level = null,
    string? Category = null,
    string? Source = null,
    string? Benchmark = null,
    string? InputRow = null);

/// <summary>How a benchmark is graded.</summary>
public enum GradingMode
{
    /// <summary>IMO-ProofBench: reference solution + guidelines; points in {0, 1, 6, 7}.</summary>
    Proof,
    /// <summary>ProofBench: marking scheme; points 0–7.</summary>
    MarkingScheme,
    /// <summary>IMO-AnswerBench: final answer judged equivalent or not; 7 or 0 points.</summary>
    Answer,
}

/// <summary>Problems loaded from one benchmark, plus what loading had to repair or skip.</summary>
public sealed record Benchmark(string Name, GradingMode Mode, IReadOnlyList<Problem> Problems, IReadOnlyList<string> Warnings)
{
    public static GradingMode InferMode(IReadOnlyList<Problem> problems)
    {
        if (problems.Count > 0 && problems.All(p => !string.IsNullOrWhiteSpace(p.MarkingScheme))) return GradingMode.MarkingScheme;
        if (problems.Count > 0 && problems.All(p => string.IsNullOrWhiteSpace(p.ReferenceSolution) && !string.IsNullOrWhiteSpace(p.ShortAnswer)))
            return GradingMode.Answer;
        return GradingMode.Proof;
    }
}
