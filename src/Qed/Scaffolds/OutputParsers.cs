using System.Globalization;
using System.Text.RegularExpressions;

namespace Qed.Scaffolds;

// Strict parsers of what scaffold prompts ask the model to write. Each is a pure function returning Parsed<T>:
// a value, or "unparsable" with the reason. The fallback for an unparsable reply is the scaffold's decision and
// is documented at the top of each scaffold file.

/// <summary>The contents of <c>\boxed{...}</c>, braces matched (so <c>\boxed{\frac{1}{2}}</c> works).</summary>
public static class Boxed
{
    /// <summary>Every boxed expression in order of appearance.</summary>
    public static IReadOnlyList<string> All(string text)
    {
        var found = new List<string>();
        var at = 0;
        while ((at = text.IndexOf(@"\boxed", at, StringComparison.Ordinal)) >= 0)
        {
            var open = at + @"\boxed".Length;
            while (open < text.Length && char.IsWhiteSpace(text[open])) open++;
            if (open >= text.Length || text[open] != '{') { at = open; continue; }
            var depth = 0;
            var end = -1;
            for (var i = open; i < text.Length; i++)
            {
                if (text[i] == '{') depth++;
                else if (text[i] == '}' && --depth == 0) { end = i; break; }
            }
            if (end < 0) break; // unbalanced: the reply was cut off
            found.Add(text[(open + 1)..end].Trim());
            at = end + 1;
        }
        return found;
    }

    /// <summary>The last boxed expression: models restate the box in their final line.</summary>
    public static Parsed<string> Last(string text)
    {
        var all = All(text);
        return all.Count == 0 ? Parsed<string>.Unparsable("no \\boxed{...} in the reply") : Parsed<string>.Ok(all[^1]);
    }
}

/// <summary>A verifier's score of a proof: exactly 0, 0.5 or 1 in the last <c>\boxed{}</c> (DeepSeek-Math style).</summary>
public static class BoxedScore
{
    public static Parsed<double> Parse(string text)
    {
        var box = Boxed.Last(text);
        if (!box.IsParsed) return Parsed<double>.Unparsable(box.Problem!);
        return box.Value switch
        {
            "0" or "0.0" => Parsed<double>.Ok(0),
            "0.5" or ".5" or @"\frac{1}{2}" or "1/2" => Parsed<double>.Ok(0.5),
            "1" or "1.0" => Parsed<double>.Ok(1),
            var other => Parsed<double>.Unparsable($"boxed score '{other}' is not 0, 0.5 or 1"),
        };
    }
}

/// <summary>Points out of 7 as a whole number in the last <c>\boxed{}</c>.</summary>
public static class BoxedPoints
{
    public static Parsed<int> Parse(string text, int max = 7)
    {
        var box = Boxed.Last(text);
        if (!box.IsParsed) return Parsed<int>.Unparsable(box.Problem!);
        var v = box.Value;
        if (v.EndsWith(".0", StringComparison.Ordinal)) v = v[..^2];
        return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var points) && points <= max
            ? Parsed<int>.Ok(points)
            : Parsed<int>.Unparsable($"boxed points '{box.Value}' are not a whole number from 0 to {max}");
    }
}

/// <summary>The consolidation judge's selection: <c>&lt;keep&gt;[1, 3, 4]&lt;/keep&gt;</c>, 1-based submission numbers.</summary>
public static partial class KeepList
{
    [GeneratedRegex(@"<keep>\s*\[([^\]]*)\]\s*</keep>", RegexOptions.IgnoreCase)]
    private static partial Regex Tag();

    /// <returns>distinct 0-based indices in the order given.</returns>
    public static Parsed<IReadOnlyList<int>> Parse(string text, int submissions)
    {
        var matches = Tag().Matches(text);
        if (matches.Count == 0) return Parsed<IReadOnlyList<int>>.Unparsable("no <keep>[...]</keep> in the reply");
        var items = matches[^1].Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0) return Parsed<IReadOnlyList<int>>.Unparsable("the <keep> list is empty");
        var kept = new List<int>();
        foreach (var item in items)
        {
            if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return Parsed<IReadOnlyList<int>>.Unparsable($"'{item}' in the <keep> list is not a submission number");
            if (n < 1 || n > submissions)
                return Parsed<IReadOnlyList<int>>.Unparsable($"submission {n} does not exist (there are {submissions})");
            if (!kept.Contains(n - 1)) kept.Add(n - 1);
        }
        return Parsed<IReadOnlyList<int>>.Ok(kept);
    }
}

public enum PairwiseWinner { First, Second, Tie }

/// <summary>A pairwise judge's verdict: <c>&lt;verdict&gt;1|2|tie&lt;/verdict&gt;</c> (the last one counts).</summary>
public static partial class PairwiseVerdict
{
    [GeneratedRegex(@"<verdict>\s*(1|2|tie)\s*</verdict>", RegexOptions.IgnoreCase)]
    private static partial Regex Tag();

    public static Parsed<PairwiseWinner> Parse(string text)
    {
        var matches = Tag().Matches(text);
        if (matches.Count == 0) return Parsed<PairwiseWinner>.Unparsable("no <verdict>1|2|tie</verdict> in the reply");
        return Parsed<PairwiseWinner>.Ok(matches[^1].Groups[1].Value.ToLowerInvariant() switch
        {
            "1" => PairwiseWinner.First,
            "2" => PairwiseWinner.Second,
            _ => PairwiseWinner.Tie,
        });
    }
}

/// <summary>A selector's choice among candidates labelled A, B, C, …: <c>\boxed{B}</c>, or <c>\boxed{equal}</c>.</summary>
public static class CandidateChoice
{
    /// <returns>the 0-based index, or null for "equal".</returns>
    public static Parsed<int?> Parse(string text, int candidates)
    {
        var box = Boxed.Last(text);
        if (!box.IsParsed) return Parsed<int?>.Unparsable(box.Problem!);
        var v = box.Value.Trim().Trim('*').Replace(@"\text{", "").Replace("}", "").Trim();
        if (v.Equals("equal", StringComparison.OrdinalIgnoreCase)) return Parsed<int?>.Ok(null);
        if (v.Length == 1 && char.IsAsciiLetter(v[0]))
        {
            var index = char.ToUpperInvariant(v[0]) - 'A';
            if (index < candidates) return Parsed<int?>.Ok(index);
            return Parsed<int?>.Unparsable($"candidate {v} does not exist (there are {candidates})");
        }
        return Parsed<int?>.Unparsable($"boxed choice '{box.Value}' is not a candidate letter or 'equal'");
    }

    public static string Label(int index) => ((char)('A' + index)).ToString();
}

/// <summary>A yes/no classification: the reply must start with "yes" or "no" (after markup), or contain only one of them.</summary>
public static partial class YesNo
{
    [GeneratedRegex(@"\b(yes|no)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Word();

    public static Parsed<bool> Parse(string text)
    {
        var t = text.Trim().TrimStart('*', '#', '"', '\'', '`', ' ', '>').ToLowerInvariant();
        if (t.StartsWith("yes", StringComparison.Ordinal) && (t.Length == 3 || !char.IsLetter(t[3]))) return Parsed<bool>.Ok(true);
        if (t.StartsWith("no", StringComparison.Ordinal) && (t.Length == 2 || !char.IsLetter(t[2]))) return Parsed<bool>.Ok(false);
        var words = Word().Matches(t).Select(m => m.Value.ToLowerInvariant()).Distinct().ToList();
        return words.Count == 1
            ? Parsed<bool>.Ok(words[0] == "yes")
            : Parsed<bool>.Unparsable(words.Count == 0 ? "neither yes nor no in the reply" : "the reply says both yes and no");
    }
}

/// <summary>
/// The proof part of a reply written as "## Solution … ## Self-Evaluation …" (DeepSeek-Math style): the text between
/// the two headings, or after the solution heading, or before the self-evaluation heading.
/// </summary>
public static partial class ProofSection
{
    [GeneratedRegex(@"^\s*#{1,6}\s*solution\b[^\n]*$", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex SolutionHeading();

    [GeneratedRegex(@"^\s*#{1,6}\s*self[\s-]*evaluation\b[^\n]*$", RegexOptions.IgnoreCase | RegexOptions.Multiline)]
    private static partial Regex EvaluationHeading();

    public static Parsed<string> Parse(string text)
    {
        var start = SolutionHeading().Match(text);
        var end = start.Success ? EvaluationHeading().Match(text, start.Index + start.Length) : EvaluationHeading().Match(text);
        string proof;
        if (start.Success && end.Success) proof = text[(start.Index + start.Length)..end.Index];
        else if (start.Success) proof = text[(start.Index + start.Length)..];
        else if (end.Success) proof = text[..end.Index];
        else return Parsed<string>.Unparsable("neither a '## Solution' nor a '## Self-Evaluation' heading");
        proof = proof.Trim();
        return proof.Length == 0 ? Parsed<string>.Unparsable("the solution section is empty") : Parsed<string>.Ok(proof);
    }
}

/// <summary>Text after (or before) a marker line such as "Detailed Solution" or "Detailed Verification Log".</summary>
public static class MarkedSection
{
    public static Parsed<string> After(string text, string marker)
    {
        var i = text.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (i < 0) return Parsed<string>.Unparsable($"no '{marker}' in the reply");
        var rest = text[(i + marker.Length)..];
        var lineEnd = rest.IndexOf('\n');
        rest = (lineEnd >= 0 && rest[..lineEnd].Trim().Trim('*', '#', ':').Length == 0 ? rest[(lineEnd + 1)..] : rest).Trim();
        return rest.Length == 0 ? Parsed<string>.Unparsable($"nothing after '{marker}'") : Parsed<string>.Ok(rest);
    }

    public static Parsed<string> Before(string text, string marker)
    {
        var i = text.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
        if (i < 0) return Parsed<string>.Unparsable($"no '{marker}' in the reply");
        var head = text[..i].TrimEnd().TrimEnd('#', '*').Trim();
        return head.Length == 0 ? Parsed<string>.Unparsable($"nothing before '{marker}'") : Parsed<string>.Ok(head);
    }
}

/// <summary>Approaches a planner proposes, each in <c>&lt;approach&gt;…&lt;/approach&gt;</c>.</summary>
public static partial class ApproachList
{
    [GeneratedRegex(@"<approach>(.*?)</approach>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Tag();

    public static Parsed<IReadOnlyList<string>> Parse(string text)
    {
        var found = Tag().Matches(text).Select(m => m.Groups[1].Value.Trim()).Where(a => a.Length > 0).ToList();
        return found.Count == 0
            ? Parsed<IReadOnlyList<string>>.Unparsable("no <approach>…</approach> in the reply")
            : Parsed<IReadOnlyList<string>>.Ok(found);
    }
}
