using System.Text;
using System.Text.RegularExpressions;

namespace Qed.Answers;

/// <summary>
/// Repairs and simplifies answer text before it is lexed: escapes mangled by JSON or Python strings
/// (<c>\\frac</c>, a form feed where <c>\f</c> was meant), Unicode maths, spacing and sizing commands,
/// thousands separators written <c>{,}</c>. Pure and allocation-light; no state.
/// </summary>
public static partial class LatexCleaning
{
    internal static readonly HashSet<string> KnownCommands = new(StringComparer.Ordinal)
    {
        "frac", "dfrac", "tfrac", "cfrac", "sqrt", "boxed", "fbox", "text", "textbf", "textit", "textnormal", "textrm",
        "texttt", "textsf", "mathrm", "mathbf", "mathit", "mathbb", "mathcal", "mathsf", "boldsymbol", "operatorname",
        "mbox", "left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "bigg", "Bigg", "biggl", "biggr",
        "le", "leq", "ge", "geq", "ne", "neq", "lt", "gt", "leqslant", "geqslant", "approx", "sim", "simeq", "equiv",
        "in", "notin", "cup", "cap", "setminus", "pm", "mp", "times", "cdot", "div", "pi", "infty", "infin",
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega",
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "ln", "log", "lg", "exp", "max", "min", "gcd", "lcm", "det", "binom", "dbinom", "tbinom",
        "lfloor", "rfloor", "lceil", "rceil", "begin", "end", "quad", "qquad", "circ", "degree", "dots", "ldots",
        "cdots", "displaystyle", "textstyle", "overline", "underline", "vec", "hat", "bar", "tilde", "emptyset",
        "varnothing", "to", "rightarrow", "Rightarrow", "implies", "iff", "mid", "vert", "lvert", "rvert", "Vert",
        "prime", "mod", "pmod", "bmod", "ast", "hline", "therefore", "because", "sum", "prod", "approxeq", "dagger",
        "newline", "not", "nabla", "overrightarrow", "widehat", "angle", "triangle", "ell", "cong", "parallel", "langle", "rangle", "textcolor", "color", "colorbox",
    };

    private static readonly string[] GluedPrefixes = ["qquad", "quad", "cdot", "times"];

    /// <summary>Undoes escape damage: control characters that were <c>\f</c>, <c>\b</c>, … and doubled backslashes.</summary>
    public static string RepairEscapes(string text)
    {
        if (text.IndexOf('\\') < 0 && !HasControl(text)) return text;
        var sb = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            // Python/JSON turned "\f", "\b", "\a", "\v", "\r", "\t" of a LaTeX command into one control character.
            var letter = c switch { '\f' => 'f', '\b' => 'b', '\a' => 'a', '\v' => 'v', '\r' => 'r', '\t' => 't', _ => '\0' };
            if (letter != '\0')
            {
                var run = LetterRun(text, i + 1);
                if ((c != '\t' && c != '\r') || KnownCommands.Contains(letter + run))
                {
                    if (sb.Length == 0 || sb[^1] != '\\') sb.Append('\\');
                    sb.Append(letter);
                    continue;
                }
                sb.Append(' ');
                continue;
            }
            if (c != '\\') { sb.Append(c); continue; }
            var k = 0;
            while (i + k < text.Length && text[i + k] == '\\') k++;
            var name = LetterRun(text, i + k);
            if (name.Length == 0)
            {
                sb.Append(text, i, k);
                i += k - 1;
                continue;
            }
            var (command, rest) = SplitCommand(name);
            if (command is null)
            {
                // "\n" or "\t" written out literally in a JSON-escaped reply: whitespace, not a command.
                if ((name[0] == 'n' || name[0] == 't') && k <= 2)
                {
                    var (inner, innerRest) = SplitCommand(name[1..]);
                    sb.Append(' ');
                    if (inner is not null) sb.Append('\\').Append(inner).Append(innerRest);
                    else sb.Append(name, 1, name.Length - 1);
                    i += k + name.Length - 1;
                    continue;
                }
                sb.Append(k >= 2 ? "\\\\ " : "\\").Append(name);
            }
            else
            {
                if (k >= 3) sb.Append("\\\\ ");
                sb.Append('\\').Append(command);
                if (rest.Length > 0) sb.Append(' ').Append(rest);
            }
            i += k + name.Length - 1;
        }
        return sb.ToString();
    }

    private static bool HasControl(string s)
    {
        foreach (var c in s) if (c is '\f' or '\b' or '\a' or '\v') return true;
        return false;
    }

    private static string LetterRun(string s, int start)
    {
        var end = start;
        while (end < s.Length && char.IsAsciiLetter(s[end])) end++;
        return s[start..end];
    }

    private static (string? Command, string Remainder) SplitCommand(string name)
    {
        if (KnownCommands.Contains(name)) return (name, "");
        foreach (var p in GluedPrefixes)
            if (name.Length > p.Length && name.StartsWith(p, StringComparison.Ordinal)) return (p, name[p.Length..]);
        return (null, name);
    }

    /// <summary>Maps Unicode mathematics to LaTeX and removes spacing, sizing and dollar noise.</summary>
    public static string Simplify(string text)
    {
        // Digit groups first, while a line break still differs from a space: "12\,345" and "1 000 000" are one
        // number each, "12\n345" stays two.
        if (MayHaveDigitGroups(text)) text = DigitGroupsRe().Replace(text, m => DigitsOnly(m.Value));
        var sb = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '−': case '–': case '—': sb.Append('-'); break;
                case '×': sb.Append("\\times "); break;
                case '·': case '⋅': sb.Append("\\cdot "); break;
                case '÷': sb.Append('/'); break;
                case '≤': case '⩽': sb.Append("\\le "); break;
                case '≥': case '⩾': sb.Append("\\ge "); break;
                case '≠': sb.Append("\\ne "); break;
                case '±': sb.Append("\\pm "); break;
                case '∓': sb.Append("\\mp "); break;
                case 'π': sb.Append("\\pi "); break;
                case '∞': sb.Append("\\infty "); break;
                case '√': sb.Append("\\sqrt "); break;
                case '∪': sb.Append("\\cup "); break;
                case '∩': sb.Append("\\cap "); break;
                case '∈': sb.Append("\\in "); break;
                case '≈': sb.Append("\\approx "); break;
                case '²': sb.Append("^2"); break;
                case '³': sb.Append("^3"); break;
                case '…': sb.Append(' '); break;
                case '\u00a0': case '\n': case '\r': case '\t': sb.Append(' '); break;
                default: sb.Append(c); break;
            }
        }
        var s = sb.ToString();
        s = PmodRe().Replace(s, " ");
        s = DegreeRe().Replace(s, "°");
        s = ThousandsBraceRe().Replace(s, "$1");
        s = NoiseRe().Replace(s, " ");
        s = LeftRightDotRe().Replace(s, " ");
        s = LeftRightRe().Replace(s, "");
        s = s.Replace("\\$", " ").Replace("$", " ").Replace("\\%", "%").Replace("~", " ");
        return s.Trim().TrimEnd('.', ',', ';', ' ').Trim();
    }

    /// <summary>Cheap test before the digit-group expression runs: a digit, then a separator, then three digits.</summary>
    private static bool MayHaveDigitGroups(string s)
    {
        for (var i = 1; i + 3 < s.Length; i++)
        {
            if (!char.IsAsciiDigit(s[i - 1])) continue;
            var c = s[i];
            var next = c switch
            {
                ' ' or '\u2009' or '\u202f' or '\u00a0' => i + 1,
                '\\' => s[i + 1] is ',' or ':' or ';' or '!' or ' ' ? i + 2 : s.AsSpan(i).StartsWith("\\thinspace") ? i + 10 : -1,
                '{' => s[i + 1] == ',' && s[i + 2] == '}' ? i + 3 : -1,
                ',' => s[i + 1] == '\\' && s[i + 2] == '!' ? i + 3 : -1,
                _ => -1,
            };
            while (next > 0 && next < s.Length && s[next] == ' ') next++;
            if (next > 0 && next + 2 < s.Length && char.IsAsciiDigit(s[next]) && char.IsAsciiDigit(s[next + 1]) && char.IsAsciiDigit(s[next + 2]))
                return true;
        }
        return false;
    }

    private static string DigitsOnly(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s) if (char.IsAsciiDigit(c)) sb.Append(c);
        return sb.ToString();
    }

    // A group of 1-3 digits, then groups of exactly three digits, each after one digit-group separator: a LaTeX space
    // (\, \: \; \! \  \thinspace), a braced comma {,}, a comma with a negative space ,\!, a plain, thin or
    // no-break space. Not after a letter, a digit, ^ or _ (x^2 100 is not x^2100), not before a further digit.
    // A bare comma is not listed: whether it separates digits depends on brackets, which the lexer knows.
    [GeneratedRegex(@"(?<![\w^_.}\\])\d{1,3}(?:(?:\\[,:;! ]|\\thinspace\s*|\{,\}|,\\!|[ \u2009\u202f\u00a0])\d{3})+(?![\d])|(?<=\.)\d{3}(?:\\,\d{3})+(?!\d)", RegexOptions.None, 200)]
    private static partial Regex DigitGroupsRe();

    [GeneratedRegex(@"\\pmod\s*\{[^{}]*\}|\\pmod\s*\d+|\(\s*\\?mod\s+\d+\s*\)", RegexOptions.None, 200)]
    private static partial Regex PmodRe();
    [GeneratedRegex(@"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|\^\s*\{\s*°\s*\}", RegexOptions.None, 200)]
    private static partial Regex DegreeRe();
    [GeneratedRegex(@"(\d)(?:\s*\{\s*,\s*\}\s*|,\\!)(?=\d{3}(?!\d))", RegexOptions.None, 200)]
    private static partial Regex ThousandsBraceRe();
    [GeneratedRegex(@"(?<!\\)\\(?:displaystyle|textstyle|scriptstyle|[bB]igg?[lrm]?|qquad|quad|dots|ldots|cdots|hline|limits|nolimits|,|;|:|!| )(?![A-Za-z])", RegexOptions.None, 200)]
    private static partial Regex NoiseRe();
    [GeneratedRegex(@"\\(?:left|right)\s*\.", RegexOptions.None, 200)]
    private static partial Regex LeftRightDotRe();
    [GeneratedRegex(@"\\(?:left|right)(?![A-Za-z])", RegexOptions.None, 200)]
    private static partial Regex LeftRightRe();
}
