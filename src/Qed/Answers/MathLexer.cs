using System.Text;

namespace Qed.Answers;

internal enum TokenKind { Number, Letter, Word, Command, Text, Op, End }

internal readonly record struct Token(TokenKind Kind, string Value)
{
    public bool Is(string op) => Kind == TokenKind.Op && Value == op;
    public bool IsCommand(string name) => Kind == TokenKind.Command && Value == name;
    public override string ToString() => $"{Kind}:{Value}";
}

/// <summary>Splits cleaned answer text into tokens. Thousands separators are merged only outside brackets,
/// so "[1,100]" stays an interval while "7,425,000" becomes one number.</summary>
internal static class MathLexer
{
    internal static readonly HashSet<string> Words = new(StringComparer.Ordinal)
    {
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "ln", "log",
        "lg", "exp", "sqrt", "max", "min", "gcd", "lcm", "det", "pi", "inf", "infty", "infinity", "and", "or",
        "percent", "pct", "percentage", "degrees", "degree", "deg", "floor", "ceil", "abs", "binom", "mod",
    };

    private static readonly HashSet<string> TextCommands = new(StringComparer.Ordinal)
    {
        "text", "textbf", "textit", "textnormal", "textrm", "texttt", "textsf", "mbox", "mathrm", "operatorname", "mathsf",
    };

    public static List<Token> Tokenize(string s, AnswerBudget budget)
    {
        var tokens = new List<Token>(s.Length / 2 + 2);
        var depth = 0;
        var i = 0;
        while (i < s.Length)
        {
            budget.Tick();
            var c = s[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < s.Length && char.IsAsciiDigit(s[i + 1])))
            {
                i = ReadNumber(s, i, depth == 0, tokens);
                continue;
            }
            if (char.IsAsciiLetter(c))
            {
                var start = i;
                while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
                var run = s[start..i];
                if (Words.Contains(run)) tokens.Add(new Token(TokenKind.Word, run));
                else if (run.Length >= 4) tokens.Add(new Token(TokenKind.Text, run));
                else foreach (var l in run) tokens.Add(new Token(TokenKind.Letter, l.ToString()));
                continue;
            }
            if (c == '\\')
            {
                if (i + 1 < s.Length && char.IsAsciiLetter(s[i + 1]))
                {
                    var start = i + 1;
                    i = start;
                    while (i < s.Length && char.IsAsciiLetter(s[i])) i++;
                    var name = s[start..i];
                    if (TextCommands.Contains(name))
                    {
                        var (content, next) = ReadGroup(s, i);
                        // "\text{3" never closes its group: malformed, not the text "3".
                        if (next == s.Length && (s.Length == 0 || s[^1] != '}') && content.Length > 0)
                            throw new ParseException($"\\{name}{{ is not closed");
                        i = next;
                        var trimmed = content.Trim();
                        if (name is "mathrm" or "operatorname" or "mathsf")
                        {
                            if (trimmed.Length == 1 && char.IsAsciiLetter(trimmed[0])) { tokens.Add(new Token(TokenKind.Letter, trimmed)); continue; }
                            if (Words.Contains(trimmed)) { tokens.Add(new Token(TokenKind.Word, trimmed)); continue; }
                        }
                        tokens.Add(new Token(TokenKind.Text, trimmed));
                        continue;
                    }
                    // ⟨1, 2⟩ is a tuple written with angle brackets.
                    if (name is "langle" or "rangle")
                    {
                        tokens.Add(new Token(TokenKind.Op, name == "langle" ? "(" : ")"));
                        depth = name == "langle" ? depth + 1 : Math.Max(0, depth - 1);
                        continue;
                    }
                    tokens.Add(new Token(TokenKind.Command, name));
                    continue;
                }
                if (i + 1 < s.Length)
                {
                    var n = s[i + 1];
                    i += 2;
                    switch (n)
                    {
                        case '{': tokens.Add(new Token(TokenKind.Op, "\\{")); depth++; break;
                        case '}': tokens.Add(new Token(TokenKind.Op, "\\}")); depth = Math.Max(0, depth - 1); break;
                        case '\\': tokens.Add(new Token(TokenKind.Op, "\\\\")); break;
                        case '|': tokens.Add(new Token(TokenKind.Op, "|")); break;
                        case '%': tokens.Add(new Token(TokenKind.Op, "%")); break;
                        default: break; // \# \& \_ and other escapes carry no meaning here
                    }
                    continue;
                }
                i++;
                continue;
            }
            if (i + 1 < s.Length)
            {
                var two = s.Substring(i, 2);
                if (two is "<=" or ">=" or "!=" or "=<" or "=>")
                {
                    tokens.Add(new Token(TokenKind.Op, two switch { "=<" => "<=", "=>" => ">=", _ => two }));
                    i += 2;
                    continue;
                }
            }
            switch (c)
            {
                case '(' or '[' or '{': depth++; break;
                case ')' or ']' or '}': depth = Math.Max(0, depth - 1); break;
            }
            tokens.Add(new Token(TokenKind.Op, c.ToString()));
            i++;
        }
        tokens.Add(new Token(TokenKind.End, ""));
        return tokens;
    }

    private static int ReadNumber(string s, int i, bool topLevel, List<Token> tokens)
    {
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        var digits = new StringBuilder(s, start, i - start, 32);
        // Thousands separators: 1,234,567 (groups of exactly three, first group 1–3 digits, not starting with 0).
        if (topLevel && digits.Length is > 0 and <= 3 && digits[0] != '0')
        {
            var j = i;
            var groups = new StringBuilder();
            while (j < s.Length && s[j] == ',' && IsThreeDigits(s, j + 1) && (j + 4 >= s.Length || !char.IsAsciiDigit(s[j + 4])))
            {
                groups.Append(s, j + 1, 3);
                j += 4;
            }
            if (groups.Length > 0) { digits.Append(groups); i = j; }
        }
        if (i + 1 < s.Length && s[i] == '.' && char.IsAsciiDigit(s[i + 1]))
        {
            digits.Append('.');
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) digits.Append(s[i++]);
        }
        else if (i < s.Length && s[i] == '.' && start < i && (i + 1 >= s.Length || !char.IsAsciiLetter(s[i + 1])))
        {
            i++; // "1000." with a trailing point
        }
        // Scientific notation: 1.5e10, 2E-3 (not "2e^x", not "2ex").
        if (i + 1 < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            var j = i + 1;
            if (j < s.Length && (s[j] == '-' || s[j] == '+')) j++;
            var k = j;
            while (k < s.Length && char.IsAsciiDigit(s[k])) k++;
            if (k > j && (k >= s.Length || !char.IsAsciiLetter(s[k])))
            {
                digits.Append('e').Append(s, i + 1, k - i - 1);
                i = k;
            }
        }
        tokens.Add(new Token(TokenKind.Number, digits.ToString()));
        return i;
    }

    private static bool IsThreeDigits(string s, int at) =>
        at + 3 <= s.Length && char.IsAsciiDigit(s[at]) && char.IsAsciiDigit(s[at + 1]) && char.IsAsciiDigit(s[at + 2]);

    /// <summary>Reads a brace group's raw text after a command (nested braces kept); no group means an empty text.</summary>
    internal static (string Content, int Next) ReadGroup(string s, int i)
    {
        var j = i;
        while (j < s.Length && s[j] == ' ') j++;
        if (j >= s.Length || s[j] != '{') return ("", i);
        var depth = 0;
        for (var k = j; k < s.Length; k++)
        {
            if (s[k] == '\\') { k++; continue; }
            if (s[k] == '{') depth++;
            else if (s[k] == '}' && --depth == 0) return (s[(j + 1)..k], k + 1);
        }
        return (s[(j + 1)..], s.Length);
    }
}
