using System.Text.RegularExpressions;

namespace Qed.Grading;

/// <summary>A parsed points verdict; <see cref="Points"/> is null when the reply could not be read.</summary>
public sealed record PointsVerdict(int? Points, string? Unparsable)
{
    public bool Parsed => Points is not null;
}

public enum AnswerJudgement { Correct, Incorrect, Unparsable }

/// <summary>Pure parsers of judge replies. They never turn an unreadable reply into 0 points.</summary>
public static partial class Verdicts
{
    [GeneratedRegex(@"<points>\s*(\d+)\s*out\s+of\s+7\s*</points>", RegexOptions.IgnoreCase)]
    private static partial Regex PointsTag();

    [GeneratedRegex(@"<verdict>\s*(correct|incorrect)\s*</verdict>", RegexOptions.IgnoreCase)]
    private static partial Regex VerdictTag();

    public static readonly IReadOnlySet<int> ProofBenchPoints = new HashSet<int> { 0, 1, 6, 7 };
    public static readonly IReadOnlySet<int> ZeroToSeven = new HashSet<int> { 0, 1, 2, 3, 4, 5, 6, 7 };

    /// <summary>The last <c>&lt;points&gt;N out of 7&lt;/points&gt;</c> tag, if N is allowed.</summary>
    public static PointsVerdict ParsePoints(string? reply, IReadOnlySet<int> allowed)
    {
        if (string.IsNullOrWhiteSpace(reply)) return new(null, "empty judge reply");
        var matches = PointsTag().Matches(reply);
        if (matches.Count == 0) return new(null, "no <points>N out of 7</points> tag");
        var text = matches[^1].Groups[1].Value;
        if (!int.TryParse(text, out var n) || !allowed.Contains(n))
            return new(null, $"points {text} not in {{{string.Join(", ", allowed.Order())}}}");
        return new(n, null);
    }

    /// <summary>The last <c>&lt;verdict&gt;Correct|Incorrect&lt;/verdict&gt;</c> tag.</summary>
    public static AnswerJudgement ParseAnswerVerdict(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return AnswerJudgement.Unparsable;
        var matches = VerdictTag().Matches(reply);
        if (matches.Count == 0) return AnswerJudgement.Unparsable;
        return matches[^1].Groups[1].Value.Equals("correct", StringComparison.OrdinalIgnoreCase)
            ? AnswerJudgement.Correct : AnswerJudgement.Incorrect;
    }
}

/// <summary>What the judge is shown of a model's reply.</summary>
public static partial class ProofText
{
    [GeneratedRegex(@"^\s*(#{1,6}\s*|\*\*|__)?\s*self[\s-]*evaluation\b.*$", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex SelfEvaluationHeading();

    [GeneratedRegex(@"^\s*#{1,6}\s+\S", RegexOptions.Multiline)]
    private static partial Regex AnyHeading();

    [GeneratedRegex(@"<\s*/?\s*(student_proof|points)\b[^<>]*>?", RegexOptions.IgnoreCase)]
    private static partial Regex FenceOrVerdictTag();

    /// <summary>
    /// The proof as it may stand between the judge prompt's <c>&lt;student_proof&gt;</c> fences: any
    /// <c>student_proof</c> or <c>points</c> tag in it (which could close the fence early or pose as a verdict) is
    /// written with <c>&amp;lt;</c>/<c>&amp;gt;</c>, so it reads as text. Everything else is left as written.
    /// </summary>
    public static string Neutralise(string proof) => FenceOrVerdictTag().Replace(proof, m =>
        "&lt;" + m.Value[1..^(m.Value.EndsWith('>') ? 1 : 0)] + (m.Value.EndsWith('>') ? "&gt;" : ""));

    /// <summary>
    /// The final proof only: anything before a stray <c>&lt;/think&gt;</c> is dropped, and self-evaluation
    /// sections (a heading or bold line "Self-evaluation" up to the next heading or the end) are removed, so the
    /// model's own verdict on its proof cannot sway the judge.
    /// </summary>
    public static string ForJudge(string answer)
    {
        var text = answer;
        var think = text.LastIndexOf("</think>", StringComparison.Ordinal);
        if (think >= 0) text = text[(think + "</think>".Length)..];
        while (SelfEvaluationHeading().Match(text) is { Success: true } m)
        {
            var next = AnyHeading().Match(text, m.Index + m.Length);
            text = text[..m.Index] + (next.Success ? text[next.Index..] : "");
        }
        return text.Trim();
    }

    /// <summary>The content of the last <c>\boxed{...}</c> (or <c>\fbox{...}</c>), braces balanced; null when there is none.</summary>
    public static string? LastBoxed(string text)
    {
        var best = -1;
        var tagLength = 0;
        foreach (var tag in new[] { "\\boxed{", "\\fbox{", "\\boxed {" })
        {
            var i = text.LastIndexOf(tag, StringComparison.Ordinal);
            if (i > best) { best = i; tagLength = tag.Length; }
        }
        if (best < 0) return null;
        var depth = 1;
        for (var j = best + tagLength; j < text.Length; j++)
        {
            if (text[j] == '{') depth++;
            else if (text[j] == '}' && --depth == 0) return text[(best + tagLength)..j].Trim();
        }
        return null;
    }
}
