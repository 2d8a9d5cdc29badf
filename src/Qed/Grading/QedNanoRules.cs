using System.Text.RegularExpressions;

namespace Qed.Grading;

/// <summary>
/// The original harness's reading of replies (<c>--protocol qed-nano</c>), as its evaluation code applies them; ours are
/// in <see cref="Verdicts"/> and <see cref="ProofText"/>. Pure functions, tested on hand-written replies.
/// </summary>
public static partial class QedNanoRules
{
    // The original's pattern: a markdown heading naming an (optional Self/Final) Evaluation, removed to the end of the text.
    [GeneratedRegex(@"^#+\s*[*\s]*(?:(?:Self|Final)\s*[*\s]*){0,2}Evaluation\b.*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex SelfEvaluation();

    [GeneratedRegex(@"<points.*?>(.*?)</points>", RegexOptions.Singleline)]
    private static partial Regex PointsBlock();

    /// <summary>The proof as the original's judge sees it: from a <c>#</c> heading naming a (self/final) evaluation to the end removed, then trimmed.</summary>
    public static string StripSelfEvaluation(string text) => SelfEvaluation().Replace(text, "").Trim();

    /// <summary>
    /// The verdict of a proof judge: the last <c>&lt;points…&gt;…&lt;/points&gt;</c> block, trimmed, read by its first
    /// character as the original does (<c>6 out of 7</c> → 6, <c>3</c> → 3). Any value 0–7 is accepted; 8 and 9 (which the
    /// original would record over the maximum) and a block not starting with a digit are unparsable.
    /// </summary>
    public static PointsVerdict ParsePoints(string? reply)
    {
        if (string.IsNullOrEmpty(reply)) return new(null, "empty judge reply");
        var matches = PointsBlock().Matches(reply);
        if (matches.Count == 0) return new(null, "no <points>…</points> block");
        var inner = matches[^1].Groups[1].Value.Trim();
        if (inner.Length == 0 || !char.IsAsciiDigit(inner[0])) return new(null, $"<points> block '{Short(inner)}' does not start with a digit");
        var n = inner[0] - '0';
        return n <= 7 ? new(n, null) : new(null, $"<points> block starts with {n}, above 7");
    }

    /// <summary>
    /// What the original sends to the answer judge: after the self-evaluation strip, the last <c>\boxed{}</c> (boxes on the
    /// same line as the last one joined with commas, inner boxes unwrapped); without one (or with an empty one), "..." and
    /// the last 5 lines, or the whole text when it has fewer than 5 lines.
    /// </summary>
    public static string AnswerForJudge(string reply)
    {
        var solution = StripSelfEvaluation(reply);
        var boxed = LastBoxed(solution);
        if (!string.IsNullOrEmpty(boxed)) return boxed;
        var lines = solution.Trim().Split('\n');
        return lines.Length >= 5 ? "..." + string.Join("\n", lines[^5..]) : solution;
    }

    /// <summary>The answer judge's verdict: correct when its last box exists, is not empty and does not contain "incorrect" (any case).</summary>
    public static bool AnswerCorrect(string? judgeReply)
    {
        var box = LastBoxed(judgeReply ?? "");
        return !string.IsNullOrEmpty(box) && !box.Contains("incorrect", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The content of the last <c>boxed{…}</c> / <c>fbox{…}</c> with balanced braces; when there are several, all boxes on
    /// the last line that has any are joined with ",". Inner <c>\boxed{}</c> are unwrapped. Null when there is none.
    /// </summary>
    public static string? LastBoxed(string text)
    {
        var all = Boxes(text, withBackslash: false);
        if (all.Count == 0) return null;
        if (all.Count > 1)
        {
            var lines = text.Split('\n');
            for (var i = lines.Length - 1; i >= 0; i--)
            {
                var onLine = Boxes(lines[i], withBackslash: false);
                if (onLine.Count > 0) return UnwrapInner(string.Join(",", onLine.Select(b => b.Content)));
            }
        }
        return UnwrapInner(all[^1].Content);
    }

    private static string UnwrapInner(string s)
    {
        foreach (var b in Boxes(s, withBackslash: true)) s = s.Replace(b.Whole, b.Content, StringComparison.Ordinal);
        return s;
    }

    /// <summary>Non-overlapping <c>boxed{…}</c> and <c>fbox{…}</c> with balanced braces, left to right (the original's recursive pattern).</summary>
    private static List<(string Whole, string Content)> Boxes(string text, bool withBackslash)
    {
        var found = new List<(string, string)>();
        string[] tags = withBackslash ? ["\\boxed{", "\\fbox{"] : ["boxed{", "fbox{"];
        for (var i = 0; i < text.Length; i++)
        {
            var tag = tags.FirstOrDefault(t => string.CompareOrdinal(text, i, t, 0, t.Length) == 0);
            if (tag is null) continue;
            var depth = 1;
            var j = i + tag.Length;
            for (; j < text.Length; j++)
            {
                if (text[j] == '{') depth++;
                else if (text[j] == '}' && --depth == 0) break;
            }
            if (depth != 0) continue;
            found.Add((text[i..(j + 1)], text[(i + tag.Length)..j]));
            i = j;
        }
        return found;
    }

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
