using System.Text;
using System.Text.RegularExpressions;

namespace Qed.Answers;

/// <summary>
/// Finds the final answer in a model reply. In order: "The final answer is X. I hope it is correct",
/// the last \boxed{}/\fbox{} (with boxes just before it joined by "and"/commas), "final answer … is X",
/// then whichever comes last of the last maths span ($…$, $$…$$, \(…\), \[…\]) and the last plain number,
/// and for short plain replies the whole text. Pure; returns null when there is no answer.
/// </summary>
public static partial class FinalAnswerExtraction
{
    /// <summary>The extracted answer text, or null when the reply holds none.</summary>
    public static string? Extract(string reply) => Find(reply, latex: true, expr: true) is { How: not MalformedAnswer } found ? found.Text : null;

    /// <param name="Plain">True when the answer came from plain text (decimal commas are then allowed).</param>
    internal sealed record Found(string Text, bool Plain, string How);

    internal const string WordsAnswer = "words";
    internal const string MalformedAnswer = "malformed";

    private readonly record struct Span(int Start, int End, string Content);

    /// <param name="words">Also accept a short reply made of words ("no solutions") as its own answer.</param>
    /// <param name="reference">The text is a reference answer, not a reply: when short and worded
    /// ("$P(n)=(n+2a)^2$ for some integer $a$", "1 if the triangle is isosceles, otherwise 2") it is read whole.</param>
    internal static Found? Find(string reply, bool latex, bool expr, bool words = false, bool reference = false)
    {
        // A thinking model's answer follows its reasoning: look after the last </think> first.
        var think = reply.LastIndexOf("</think>", StringComparison.Ordinal);
        if (think >= 0)
        {
            var final = reply[(think + 8)..];
            var answer = FindIn(final, latex, expr, words: false, reference);
            if (answer is not null) return answer;
            // A malformed final part is not rescued by a number from the reasoning ("We try 3 and 7.</think>
            // **Answer:** $$\frac{1}{2}$" must not answer 7); one that simply holds no answer ("I am done.") is.
            var repaired = LatexCleaning.RepairEscapes(final);
            if (UnclosedDelimiter(repaired) >= 0 || UnclosedBox(repaired) >= 0) return null;
        }
        return FindIn(reply, latex, expr, words, reference);
    }

    private static Found? FindIn(string reply, bool latex, bool expr, bool words, bool reference)
    {
        var text = LatexCleaning.RepairEscapes(reply);
        // A reply whose \boxed{ is never closed is malformed: "\boxed{5" is not an answer of 5, and no other part of it
        // is taken for the answer either. A reference with a missing brace is a typo in trusted data and reads to its end.
        if (!reference && UnclosedBox(text) >= 0) return new Found("", false, MalformedAnswer);

        var hope = LastMatch(FinalAnswerHopeRe(), text);
        if (hope is not null)
        {
            var inner = hope.Groups[1].Value.Replace("\\\"", "").Trim().Trim('"', '\'', '`').Trim();
            if (inner.Length > 0) return new Found(StripDelimiters(inner), !HasLatex(inner), "final answer sentence");
        }

        var boxes = Boxes(text);
        if (boxes.Count > 0) return new Found(Group(text, boxes, extraWords: 1), false, "boxed");

        // After a $ (or \( \[) that is never closed nothing is read: in "so $\frac{1}{2}" the 2 is not the answer.
        var open = text.IndexOf('$') >= 0 || text.Contains("\\(", StringComparison.Ordinal) || text.Contains("\\[", StringComparison.Ordinal)
            ? UnclosedDelimiter(text) : -1;
        if (open >= 0) text = text[..open];

        var envs = latex ? MathSpans(text) : [];
        foreach (Match m in FinalAnswerRe().Matches(text).Reverse())
        {
            foreach (var after in AnswerStarts(text, m.Index + m.Length))
            {
                var env = envs.FirstOrDefault(e => e.Start >= after && e.Start <= after + 2 && e.Content.Trim().Length > 0);
                if (env.Content is not null) return new Found(env.Content.Trim(), false, "final answer phrase");
                if (!expr) continue;
                var n = PlainNumberRe().Match(text, after);
                if (n.Success && n.Index <= after + 2) return new Found(n.Value, true, "final answer phrase");
            }
        }

        // "Answer: 42", "so the answer is $\frac{2}{3}$, since …": the value right after the last such phrase, unless a
        // later sentence goes on to state another value (a correction).
        var phrase = AnswerPhrase(text, envs, latex, expr);
        if (phrase is not null) return phrase;

        if (reference && words && text.Length <= 200 && text.Any(char.IsLetter))
        {
            var outside = envs.Count == 0 ? text : OutsideSpans(text, envs);
            var worded = envs.Count == 0 ? !LooksLikeMaths(text) : IsProse(outside);
            if (worded) return new Found(text.Trim(), true, WordsAnswer);
        }

        Span? lastEnv = envs.Count > 0 ? envs[^1] : null;
        Match? lastNumber = null;
        if (expr)
            foreach (Match n in LastNumbersRe().Matches(text))
                if (!envs.Any(e => n.Index >= e.Start && n.Index < e.End)) { lastNumber = n; break; }

        if (lastEnv is { } env2 && (lastNumber is null || env2.End >= lastNumber.Index))
        {
            var nonEmpty = envs.Where(e => e.Content.Trim().Length > 0).ToList();
            if (nonEmpty.Count > 0) return new Found(Group(text, nonEmpty, extraWords: 0), false, "maths span");
        }
        if (envs.Count == 0 && LooksLikeMaths(text)) return new Found(text.Trim(), !HasLatex(text), "whole text");
        if (lastNumber is not null)
            return SpreadOverLines(text, lastNumber.Index, lastNumber.Length) ? null : new Found(lastNumber.Value, true, "last number");
        var trimmed = text.Trim().TrimEnd('.');
        if (words && envs.Count == 0 && trimmed.Length is > 0 and <= 200 && trimmed.Any(char.IsLetter))
            return new Found(trimmed, true, WordsAnswer);
        return null;
    }

    private static Found? AnswerPhrase(string text, List<Span> envs, bool latex, bool expr)
    {
        if (text.IndexOf("nswer", StringComparison.OrdinalIgnoreCase) < 0) return null;
        var last = LastAnswerWordRe().Match(text);
        if (!last.Success) return null;
        foreach (var after in AnswerStarts(text, last.Index + last.Length))
        {
            int start, end;
            string value;
            bool plain;
            var env = envs.FirstOrDefault(e => e.Start >= after && e.Start <= after + 2 && e.Content.Trim().Length > 0);
            if (env.Content is not null && latex) (start, end, value, plain) = (env.Start, env.End, env.Content.Trim(), false);
            else
            {
                if (!expr) continue;
                var n = PlainNumberRe().Match(text, after);
                if (!n.Success || n.Index > after + 2 || SpreadOverLines(text, n.Index, n.Length)) continue;
                // "The answer is 2/3." takes the whole fraction.
                var f = PlainFractionRe().Match(text, n.Index);
                (start, end, value, plain) = f.Success && f.Index == n.Index ? (f.Index, f.Index + f.Length, f.Value, true) : (n.Index, n.Index + n.Length, n.Value, true);
            }
            // The value must close its clause: "is 7 apples." or "is $\frac{2}{3}$, since" but not "is 2 more than …".
            if (!ClauseEndRe().IsMatch(text, end)) continue;
            var sentenceEnd = SentenceEndRe().Match(text, end);
            var rest = sentenceEnd.Success ? sentenceEnd.Index + sentenceEnd.Length : text.Length;
            var laterValue = envs.Any(e => e.Start >= rest && e.Content.Trim().Length > 0)
                || (expr && LaterNumber(text, rest, envs));
            return laterValue ? null : new Found(value, plain, "answer phrase");
        }
        return null;
    }

    private static bool LaterNumber(string text, int from, List<Span> envs)
    {
        foreach (Match n in LastNumbersRe().Matches(text))
        {
            if (n.Index < from) return false;
            if (!envs.Any(e => n.Index >= e.Start && n.Index < e.End)) return true;
        }
        return false;
    }

    /// <summary>A number with another digit just across a line break ("12\n345", "4\n2"): a value spread over
    /// lines, not one answer.</summary>
    private static bool SpreadOverLines(string text, int index, int length)
    {
        var i = index - 1;
        var newline = false;
        while (i >= 0 && char.IsWhiteSpace(text[i])) { newline |= text[i] == '\n'; i--; }
        if (newline && i >= 0 && char.IsAsciiDigit(text[i])) return true;
        var j = index + length;
        newline = false;
        while (j < text.Length && char.IsWhiteSpace(text[j])) { newline |= text[j] == '\n'; j++; }
        return newline && j < text.Length && char.IsAsciiDigit(text[j]);
    }

    /// <summary>Where a \boxed{ that is never closed starts; -1 when every box is closed.</summary>
    private static int UnclosedBox(string text)
    {
        var box = text.IndexOf("\\boxed", StringComparison.Ordinal);
        while (box >= 0)
        {
            var i = box + 6;
            while (i < text.Length && text[i] == ' ') i++;
            if (i < text.Length && text[i] == '{')
            {
                var depth = 0;
                var closed = false;
                for (var k = i; k < text.Length; k++)
                {
                    if (text[k] == '\\') { k++; continue; }
                    if (text[k] == '{') depth++;
                    else if (text[k] == '}' && --depth == 0) { closed = true; break; }
                }
                if (!closed) return box;
            }
            box = text.IndexOf("\\boxed", box + 6, StringComparison.Ordinal);
        }
        return -1;
    }

    /// <summary>Where a maths delimiter ($, $$, \(, \[) opens and is never closed; -1 when all are closed. A $ just
    /// before a digit is a currency sign ("$1,000.99"), not a delimiter.</summary>
    private static int UnclosedDelimiter(string text)
    {
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                if (text[i + 1] is '(' or '[')
                {
                    var j = text.IndexOf(text[i + 1] == '(' ? "\\)" : "\\]", i + 2, StringComparison.Ordinal);
                    if (j < 0) return i;
                    i = j + 2;
                    continue;
                }
                i += 2;
                continue;
            }
            if (c == '$')
            {
                var width = i + 1 < text.Length && text[i + 1] == '$' ? 2 : 1;
                var j = FindDollar(text, i + width, width);
                if (j < 0 && !(width == 1 && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]))) return i;
                if (j < 0) { i++; continue; }
                i = j + width;
                continue;
            }
            i++;
        }
        return -1;
    }

    private static string OutsideSpans(string text, List<Span> spans)
    {
        var sb = new StringBuilder();
        var at = 0;
        foreach (var span in spans)
        {
            sb.Append(text, at, span.Start - at).Append(' ');
            at = span.End;
        }
        return sb.Append(text, at, text.Length - at).ToString();
    }

    /// <summary>Whether maths text carries English words that qualify it ("for some", "odd", "where", "otherwise").</summary>
    internal static bool IsProse(string text) => ProseRe().IsMatch(text);

    [GeneratedRegex(@"(?i)(?<![A-Za-z\\])(?:for|some|all|where|when|whenever|with|if|is|are|odd|even|primes?|otherwise|the|of|not|no|none|only|integers?|positive|negative|nonnegative|non-negative|reals?|numbers?|such|that|there|exists?|any|every|each|polynomials?|constant|arbitrary|except|between|both|either|solutions?|triangle|isosceles|isoceles|equilateral|then|than|divisible|divides|multiples?|infinitely|many|finitely|otherwise|case|cases)(?![A-Za-z])", RegexOptions.None, 200)]
    private static partial Regex ProseRe();

    private static Match? LastMatch(Regex re, string text)
    {
        Match? last = null;
        foreach (Match m in re.Matches(text)) last = m;
        return last;
    }

    private static bool HasLatex(string s) => s.Contains('\\') || s.Contains('$') || s.Contains('^') || s.Contains('{');

    private static string StripDelimiters(string s) =>
        s.Replace("$", " ").Replace("\\(", " ").Replace("\\)", " ").Replace("\\[", " ").Replace("\\]", " ").Trim();

    /// <summary>Short text made of maths rather than prose: no word of four or more letters except known ones.</summary>
    private static bool LooksLikeMaths(string text)
    {
        if (text.Length > 300) return false;
        // Environment names and \text{…} contents are not prose; count a text group as one symbol.
        text = LatexWordsRe().Replace(text, m => m.Value.StartsWith("\\begin", StringComparison.Ordinal) || m.Value.StartsWith("\\end", StringComparison.Ordinal) ? " " : " x ");
        var shortWords = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsAsciiLetter(text[i])) { i++; continue; }
            var start = i;
            while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
            if (start > 0 && text[start - 1] == '\\') continue;
            var word = text[start..i];
            if (MathLexer.Words.Contains(word)) continue;
            // Point names (AB, ABC, ABCD) are symbols, not words.
            if (word.Length <= 4 && word.All(char.IsAsciiLetterUpper)) continue;
            if (word.Length >= 4) return false;
            if (word.Length >= 2) shortWords.Add(word);
        }
        // One short word may be an answer ("odd"); several are prose ("not it's not 10").
        return shortWords.Count <= 1 && (text.Any(char.IsLetterOrDigit) || text.Contains("\\{", StringComparison.Ordinal));
    }

    private static List<Span> Boxes(string text)
    {
        var result = new List<Span>();
        var from = 0;
        while (true)
        {
            var b = text.IndexOf("\\boxed", from, StringComparison.Ordinal);
            var f = text.IndexOf("\\fbox", from, StringComparison.Ordinal);
            var at = b < 0 ? f : f < 0 ? b : Math.Min(b, f);
            if (at < 0) break;
            var i = at + (at == b ? 6 : 5);
            while (i < text.Length && text[i] == ' ') i++;
            if (i < text.Length && text[i] == '{')
            {
                var depth = 0;
                var end = text.Length;
                for (var k = i; k < text.Length; k++)
                {
                    if (text[k] == '\\') { k++; continue; }
                    if (text[k] == '{') depth++;
                    else if (text[k] == '}' && --depth == 0) { end = k; break; }
                }
                var content = text[(i + 1)..Math.Min(end, text.Length)];
                result.Add(new Span(at, Math.Min(end + 1, text.Length), content));
                from = Math.Min(end + 1, text.Length);
            }
            else
            {
                var end = i;
                while (end < text.Length && !char.IsWhiteSpace(text[end]) && text[end] != '$') end++;
                if (end > i) result.Add(new Span(at, end, text[i..end]));
                from = Math.Max(end, at + 1);
            }
        }
        return result;
    }

    /// <summary>Maths spans in reading order; an escaped \$ neither opens nor closes one.</summary>
    private static List<Span> MathSpans(string text)
    {
        var spans = new List<Span>();
        // Once a closing delimiter is missing after some point it is missing after every later point too,
        // so each kind is searched for to the end at most once: linear even on hostile input.
        bool noParen = false, noBracket = false, noSingle = false, noDouble = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                if ((text[i + 1] == '(' && !noParen) || (text[i + 1] == '[' && !noBracket))
                {
                    var paren = text[i + 1] == '(';
                    var j = text.IndexOf(paren ? "\\)" : "\\]", i + 2, StringComparison.Ordinal);
                    if (j < 0)
                    {
                        if (paren) noParen = true; else noBracket = true;
                        i += 2;
                        continue;
                    }
                    spans.Add(new Span(i, j + 2, text[(i + 2)..j]));
                    i = j + 2;
                    continue;
                }
                i += 2;
                continue;
            }
            if (c == '$')
            {
                var width = i + 1 < text.Length && text[i + 1] == '$' ? 2 : 1;
                var j = (width == 2 ? noDouble : noSingle) ? -1 : FindDollar(text, i + width, width);
                if (j < 0)
                {
                    if (width == 2) noDouble = true; else noSingle = true;
                    i += width;
                    continue;
                }
                spans.Add(new Span(i, j + width, text[(i + width)..j]));
                i = j + width;
                continue;
            }
            i++;
        }
        return spans;
    }

    private static int FindDollar(string text, int from, int width)
    {
        for (var k = from; k < text.Length; k++)
        {
            if (text[k] == '\\') { k++; continue; }
            if (text[k] != '$') continue;
            if (width == 1 || (k + 1 < text.Length && text[k + 1] == '$')) return k;
        }
        return -1;
    }

    /// <summary>The last span together with the spans just before it that only "and", "or", commas or
    /// spacing separate ("$1$ and $2$", "\boxed{1} papers and \boxed{2} bins"), or that each follow a part label
    /// ("(a) \boxed{3} … (b) \boxed{5}"); labelled parts keep their labels, so they are compared in order.</summary>
    private static string Group(string text, List<Span> spans, int extraWords) =>
        spans.Count == 1 ? spans[0].Content.Trim() : GroupSeveral(text, spans, extraWords);

    private static string GroupSeveral(string text, List<Span> spans, int extraWords)
    {
        // Labels are looked up lazily, walking back from the last span: most replies stop at the first gap.
        var labels = new string?[spans.Count];
        var looked = new bool[spans.Count];
        string? Label(int k)
        {
            if (looked[k]) return labels[k];
            looked[k] = true;
            var from = k == 0 ? Math.Max(0, spans[0].Start - 40) : spans[k - 1].End;
            return labels[k] = PartLabel(text, from, spans[k].Start);
        }
        var first = spans.Count - 1;
        while (first > 0 && (IsConnective(text[spans[first - 1].End..spans[first].Start], extraWords)
                             || (Label(first) is { } here && Label(first - 1) is { } before && here != before)))
            first--;
        if (first == spans.Count - 1) return spans[^1].Content.Trim();
        for (var k = first; k < spans.Count; k++) Label(k);
        var labelled = true;
        for (var k = first; k < spans.Count; k++) labelled &= labels[k] is not null;
        var sb = new StringBuilder();
        for (var k = first; k < spans.Count; k++)
        {
            if (sb.Length > 0) sb.Append(labelled ? " " : ", ");
            if (labelled) sb.Append('(').Append(labels[k]).Append(") ");
            sb.Append(spans[k].Content.Trim());
        }
        return sb.ToString();
    }

    /// <summary>The last part label ("(a)", "(ii)", "Part b") in a gap between answers, or null.</summary>
    private static string? PartLabel(string text, int from, int to)
    {
        if (!MayHavePartLabels(text, from, to)) return null;
        Match? last = null;
        foreach (Match m in PartLabelRe().Matches(text[from..to])) last = m;
        return last is null ? null : (last.Groups[1].Success ? last.Groups[1].Value : last.Groups[2].Value).ToLowerInvariant();
    }

    /// <summary>
    /// An answer given in labelled parts, "(a) 3 (b) 5" or "(a) 12\n(b) 7", as a tuple of its parts in order
    /// ("({3}, {5})"); null when the text has fewer than two part labels. What comes before the first label is a
    /// heading and is dropped.
    /// </summary>
    internal static string? JoinParts(string text)
    {
        if (!MayHavePartLabels(text, 0, text.Length)) return null;
        var matches = PartLabelRe().Matches(text);
        if (matches.Count < 2) return null;
        return JoinParts(text, matches);
    }

    /// <summary>A lone part label in front of the answer ("(a) 3") is a heading, not a factor a: the text without it.</summary>
    internal static string WithoutLonePartLabel(string text)
    {
        if (!MayHavePartLabels(text, 0, text.Length)) return text;
        var matches = PartLabelRe().Matches(text);
        if (matches.Count != 1 || text[..matches[0].Index].Trim().Length > 0) return text;
        var rest = PartNoiseRe().Replace(text[(matches[0].Index + matches[0].Length)..], "").Trim();
        return rest.Length > 0 ? rest : text;
    }

    private static string? JoinParts(string text, MatchCollection matches)
    {
        var parts = new List<string>();
        for (var k = 0; k < matches.Count; k++)
        {
            var start = matches[k].Index + matches[k].Length;
            var end = k + 1 < matches.Count ? matches[k + 1].Index : text.Length;
            var part = PartNoiseRe().Replace(text[start..end], "").Trim();
            if (part.Length == 0) return null;
            parts.Add("{" + part + "}");
        }
        return "(" + string.Join(", ", parts) + ")";
    }

    /// <summary>Cheap test before the part-label expression runs (most answers have none): "(" and a lower-case
    /// letter followed by ")" within five characters, or the word "part".</summary>
    internal static bool MayHavePartLabels(string text) => MayHavePartLabels(text, 0, text.Length);

    private static bool MayHavePartLabels(string text, int from, int to)
    {
        for (var i = from; i + 2 < to; i++)
        {
            if (text[i] != '(' || !char.IsAsciiLetterLower(text[i + 1])) continue;
            if (i > 0 && (char.IsLetterOrDigit(text[i - 1]) || text[i - 1] is '_' or '\\')) continue; // f(x), 2(b): not labels
            var close = text.IndexOf(')', i + 2, Math.Min(5, to - i - 2));
            if (close > 0) return true;
        }
        return text.AsSpan(from, to - from).Contains("part", StringComparison.OrdinalIgnoreCase);
    }

    // "(a)" … "(h)", "(i)" … "(viii)", "Part a", "Part (b)", "part 2": a lower-case letter in parentheses not
    // after a letter or digit (so f(a) and 2(b) are not labels).
    [GeneratedRegex(@"(?<![\w\\])\((?:([a-h]|i{1,3}|iv|vi{0,3})\))(?!\s*[=,])|(?i:\bpart\s*\(?([a-h1-9])\)?)", RegexOptions.None, 200)]
    private static partial Regex PartLabelRe();

    // Between a part's label and its value: colons, closing braces of \textbf{(a)}, bold markers; after the value:
    // separators, full stops, the word "Part" that introduces the next label, the opening of \textbf{.
    [GeneratedRegex(@"^[\s:}.*]+|(?:\s|[,;.*]|\\text(?:bf|it)\s*\{|\\textbf|(?i:part))+$", RegexOptions.None, 200)]
    private static partial Regex PartNoiseRe();

    private static bool IsConnective(string gap, int extraWords)
    {
        if (gap.Length > 60) return false;
        var stripped = ConnectiveNoiseRe().Replace(gap, " ");
        var words = stripped.Split([' ', ',', ';', '.', '$', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        var others = 0;
        foreach (var w in words)
        {
            if (w is "and" or "or" or "&") continue;
            if (w.Any(char.IsDigit) || w.Contains('\\') || w.Length > 15) return false;
            others++;
        }
        return others <= extraWords;
    }

    [GeneratedRegex(@"(?is)final\s+answer\s+is\s*:?\s*(.{1,400}?)\s*\.?\s*I\s+hope", RegexOptions.None, 500)]
    private static partial Regex FinalAnswerHopeRe();

    [GeneratedRegex(@"\\(?:begin|end|text\w*|mathrm|operatorname)\s*\{[^{}]*\}", RegexOptions.None, 200)]
    private static partial Regex LatexWordsRe();

    [GeneratedRegex(@"(?i)final\s+answer\b", RegexOptions.None, 500)]
    private static partial Regex FinalAnswerRe();

    [GeneratedRegex(@"\G\s*\**\s*:\s*\**\s*", RegexOptions.None, 200)]
    private static partial Regex ColonRe();

    [GeneratedRegex(@"(?is)\bis\b\s*:?\s*", RegexOptions.None, 200)]
    private static partial Regex IsRe();

    [GeneratedRegex(@"(?i)(?<![A-Za-z])answer(?![A-Za-z])", RegexOptions.RightToLeft, 200)]
    private static partial Regex LastAnswerWordRe();

    [GeneratedRegex(@"\G-?\d+\s*/\s*\d+(?!\d|\.\d)", RegexOptions.None, 200)]
    private static partial Regex PlainFractionRe();

    // After an answer's value: at most one word (a unit), then punctuation, a bracket, bold markers, a line break or the end.
    [GeneratedRegex(@"\G[ \t]*(?:[A-Za-z]{1,12}[ \t]*)?(?:[.,;:!?()*\n\r]|$)", RegexOptions.None, 200)]
    private static partial Regex ClauseEndRe();

    // The end of a sentence: a full stop, ! or ? before white space or the end, or a blank line.
    [GeneratedRegex(@"[.!?](?=\s|$)|\n\s*\n", RegexOptions.None, 200)]
    private static partial Regex SentenceEndRe();

    /// <summary>Where the answer may start after "final answer": right after a colon, or after the first "is" within 100 characters.</summary>
    private static IEnumerable<int> AnswerStarts(string text, int from)
    {
        var colon = ColonRe().Match(text, from);
        if (colon.Success) yield return colon.Index + colon.Length;
        var window = Math.Min(text.Length - from, 110);
        var isMatch = IsRe().Match(text, from, window);
        if (isMatch.Success) yield return isMatch.Index + isMatch.Length;
    }

    [GeneratedRegex(@"(?<![\w.\\])-?(?:\d{1,3}(?:(?:[ \u2009\u202f]|\\[,;:! ]|\{,\}|,\\!)\d{3})+(?!\d)(?:\.\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+)", RegexOptions.None, 500)]
    private static partial Regex PlainNumberRe();

    [GeneratedRegex(@"(?<![\w.\\])-?(?:\d{1,3}(?:(?:[ \u2009\u202f]|\\[,;:! ]|\{,\}|,\\!)\d{3})+(?!\d)(?:\.\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?|\.\d+)", RegexOptions.RightToLeft, 500)]
    private static partial Regex LastNumbersRe();

    [GeneratedRegex(@"\\q?quad|\\text\w*\s*\{|\\mathrm\s*\{|\}|\\[,;:! ]|\\\(|\\\)|\\\[|\\\]", RegexOptions.None, 200)]
    private static partial Regex ConnectiveNoiseRe();
}
