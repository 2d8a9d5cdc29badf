using System.Text;

namespace Qed.Viewer.Rendering;

/// <summary>One piece of TeX lifted out of a Markdown text: its source without delimiters and whether it is displayed.</summary>
public sealed record MathSpan(string Tex, bool Display, string Source);

/// <summary>Markdown text with every math span replaced by an inert alphanumeric token.</summary>
public sealed record ShieldedText(string Text, string TokenPrefix, IReadOnlyList<MathSpan> Spans);

/// <summary>
/// Lifts LaTeX out of Markdown before Markdig sees it, because Markdown rules (<c>\\</c>, <c>_</c>, <c>*</c>)
/// mangle TeX. Recognised: <c>$$…$$</c>, <c>\[…\]</c>, <c>\(…\)</c>, <c>$…$</c> and
/// <c>\begin{align*}…\end{align*}</c>-style display environments. Code spans and fenced code stay as written.
/// Pure: the same text always gives the same result.
/// </summary>
public static class MathShield
{
    private static readonly string[] DisplayEnvironments =
        ["equation", "equation*", "align", "align*", "gather", "gather*", "multline", "multline*", "eqnarray", "eqnarray*", "alignat", "alignat*"];

    public static ShieldedText Protect(string text)
    {
        var prefix = "qedmath";
        while (text.Contains(prefix, StringComparison.Ordinal)) prefix += "x";
        var spans = new List<MathSpan>();
        var sb = new StringBuilder(text.Length);
        var i = 0;
        var atLineStart = true;
        while (i < text.Length)
        {
            if (atLineStart && TryFence(text, i, out var fenceEnd))
            {
                sb.Append(text, i, fenceEnd - i);
                i = fenceEnd;
                atLineStart = true;
                continue;
            }
            var c = text[i];
            if (c == '`')
            {
                var run = RunLength(text, i, '`');
                var close = FindBacktickRun(text, i + run, run);
                var end = close < 0 ? i + run : close + run;
                sb.Append(text, i, end - i);
                i = end;
                atLineStart = false;
                continue;
            }
            if (TryMath(text, i, out var span, out var next))
            {
                sb.Append(prefix).Append(spans.Count).Append('z');
                spans.Add(span);
                i = next;
                atLineStart = false;
                continue;
            }
            if (c == '\\' && i + 1 < text.Length && text[i + 1] == '$')
            {
                sb.Append("\\$");
                i += 2;
                atLineStart = false;
                continue;
            }
            sb.Append(c);
            atLineStart = c == '\n';
            i++;
        }
        return new ShieldedText(sb.ToString(), prefix, spans);
    }

    private static bool TryMath(string s, int i, out MathSpan span, out int next)
    {
        span = null!;
        next = i;
        if (Starts(s, i, "$$"))
            return Close(s, i + 2, "$$", display: true, out span, out next);
        if (Starts(s, i, "\\["))
            return Close(s, i + 2, "\\]", display: true, out span, out next);
        if (Starts(s, i, "\\("))
            return Close(s, i + 2, "\\)", display: false, out span, out next);
        if (Starts(s, i, "\\begin{"))
        {
            var nameEnd = s.IndexOf('}', i + 7);
            if (nameEnd < 0) return false;
            var name = s[(i + 7)..nameEnd];
            if (!DisplayEnvironments.Contains(name)) return false;
            var endTag = "\\end{" + name + "}";
            var close = s.IndexOf(endTag, nameEnd, StringComparison.Ordinal);
            if (close < 0) return false;
            next = close + endTag.Length;
            span = new MathSpan(s[i..next], Display: true, Source: s[i..next]);
            return true;
        }
        if (s[i] == '$')
        {
            // Inline dollars follow the usual Pandoc rule so prices like "$5 and $6" stay text: no space after the
            // opening $, no digit right after the closing one, and no space before it, unless what lies between is
            // plainly TeX: models write "$c_0, c_1, c_2, \ldots $" (IMO-ProofBench PB-Basic-006) and mean math.
            if (i + 1 >= s.Length || char.IsWhiteSpace(s[i + 1])) return false;
            for (var j = i + 1; j < s.Length; j++)
            {
                var c = s[j];
                if (c == '\\') { j++; continue; }
                if (c == '\n' && j + 1 < s.Length && s[j + 1] == '\n') return false; // paragraph break
                if (c == '`') return false; // a code span starts: the $ was text
                if (c != '$') continue;
                if (j + 1 < s.Length && char.IsDigit(s[j + 1])) return false;
                if (char.IsWhiteSpace(s[j - 1]) && !LooksLikeTex(s.AsSpan(i + 1, j - i - 1))) return false;
                span = new MathSpan(s[(i + 1)..j], Display: false, Source: s[i..(j + 1)]);
                next = j + 1;
                return true;
            }
        }
        return false;
    }

    /// <summary>A command (<c>\ldots</c>), a sub- or superscript or a group: no sentence about money has these.</summary>
    private static bool LooksLikeTex(ReadOnlySpan<char> tex) => tex.IndexOfAny("\\_^{") >= 0;

    private static bool Close(string s, int from, string closer, bool display, out MathSpan span, out int next)
    {
        var close = s.IndexOf(closer, from, StringComparison.Ordinal);
        if (close < 0 || close == from)
        {
            span = null!;
            next = from;
            return false;
        }
        next = close + closer.Length;
        span = new MathSpan(s[from..close], display, s[(from - closer.Length)..next]);
        return true;
    }

    private static bool TryFence(string s, int i, out int end)
    {
        end = i;
        var j = i;
        while (j < s.Length && j - i < 3 && s[j] == ' ') j++;
        if (j >= s.Length || (s[j] != '`' && s[j] != '~')) return false;
        var marker = s[j];
        var run = RunLength(s, j, marker);
        if (run < 3) return false;
        var lineEnd = s.IndexOf('\n', j);
        if (lineEnd < 0) { end = s.Length; return true; }
        var pos = lineEnd + 1;
        while (pos < s.Length)
        {
            var eol = s.IndexOf('\n', pos);
            var line = eol < 0 ? s[pos..] : s[pos..eol];
            var trimmed = line.TrimStart(' ');
            if (trimmed.Length > 0 && trimmed[0] == marker && RunLength(trimmed, 0, marker) >= run && trimmed.Trim(marker).Trim().Length == 0)
            {
                end = eol < 0 ? s.Length : eol + 1;
                return true;
            }
            if (eol < 0) break;
            pos = eol + 1;
        }
        end = s.Length;
        return true;
    }

    private static int FindBacktickRun(string s, int from, int run)
    {
        for (var j = from; j < s.Length; j++)
        {
            if (s[j] != '`') continue;
            var r = RunLength(s, j, '`');
            if (r == run) return j;
            j += r - 1;
        }
        return -1;
    }

    private static int RunLength(string s, int i, char c)
    {
        var j = i;
        while (j < s.Length && s[j] == c) j++;
        return j - i;
    }

    private static bool Starts(string s, int i, string token) => string.CompareOrdinal(s, i, token, 0, token.Length) == 0;
}
