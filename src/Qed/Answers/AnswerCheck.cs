namespace Qed.Answers;

public enum AnswerVerdict { Equivalent, Different, Undecided }

/// <summary>The outcome of one check: the verdict, each side as it was understood (null when nothing
/// was found), and why.</summary>
public sealed record AnswerCheck(AnswerVerdict Verdict, string? GoldParsed, string? PredParsed, string Reason);

/// <summary>How to check one pair of answers.</summary>
public sealed record AnswerOptions
{
    public static AnswerOptions Default { get; } = new();

    /// <summary>Which notations to look for: "latex" (boxed answers, maths spans) and/or "expr" (plain numbers
    /// and expressions). Both when empty.</summary>
    public IReadOnlyList<string> MatchTypes { get; init; } = ["latex", "expr"];

    /// <summary>Decimal places used when either side is written as a decimal.</summary>
    public int Precision { get; init; } = 6;

    /// <summary>Wall-clock limit for one check; past it the verdict is undecided. Generous on purpose: typical checks
    /// take tens of microseconds, and the first check in a process also pays for JIT compilation, which on a loaded
    /// machine took over a second and turned clear cases into needless judge calls.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>When false, answers that differ only by the names of their variables (f(x) and f(y)) are equivalent.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>Whether a reference that is a set (an interval, a union, a finite set) is compared with a prediction
    /// that is a condition (-2 ≤ x ≤ 7). When false such a prediction is different; a set predicted for a condition
    /// is compared either way. Case files call it <c>allow_set_relation_comp</c>, as Math-Verify does.</summary>
    public bool AllowSetRelationComparison { get; init; } = true;

    /// <summary>Longest reply read, in characters; longer inputs are undecided.</summary>
    public int MaxInputChars { get; init; } = 1_000_000;

    /// <summary>Longest extracted answer parsed, in characters.</summary>
    public int MaxAnswerChars { get; init; } = 5_000;

    /// <summary>Largest exact number, in bits (2^2025 needs 2026); bigger ones make the check undecided.</summary>
    public int MaxBits { get; init; } = 1 << 20;
}
