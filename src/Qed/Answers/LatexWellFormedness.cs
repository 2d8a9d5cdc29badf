namespace Qed.Answers;

/// <summary>
/// Whether typed LaTeX is well formed: braces balanced, every <c>\begin{env}</c> closed by its <c>\end{env}</c>,
/// <c>\left</c> and <c>\right</c> paired, maths delimiters (<c>$</c>, <c>$$</c>, <c>\(</c>, <c>\[</c>) closed.
/// The checker itself reads malformed replies (they end undecided or different); this is for input a person types,
/// such as <c>qed check-answer GOLD PRED</c>, where <c>\frac{1}{2</c> is a mistake to report.
/// </summary>
public static class LatexWellFormedness
{
    /// <summary>What is wrong, naming the place (1-based character), or null when the text is well formed.</summary>
    public static string? Problem(string text)
    {
        var braces = new Stack<int>();
        var environments = new Stack<(string Name, int At)>();
        var lefts = new Stack<int>();
        int? openDollar = null, openParen = null, openBracket = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                var n = text[i + 1];
                if (char.IsAsciiLetter(n))
                {
                    var end = i + 1;
                    while (end < text.Length && char.IsAsciiLetter(text[end])) end++;
                    var name = text[(i + 1)..end];
                    if (name is "begin" or "end")
                    {
                        var (env, next) = MathLexer.ReadGroup(text, end);
                        if (next == end) return $"\\{name} at character {i + 1} has no {{environment}}";
                        if (name == "begin") environments.Push((env.Trim(), i));
                        else if (environments.Count == 0) return $"\\end{{{env.Trim()}}} at character {i + 1} closes nothing";
                        else if (environments.Peek().Name != env.Trim())
                            return $"\\end{{{env.Trim()}}} at character {i + 1} closes \\begin{{{environments.Peek().Name}}}";
                        else environments.Pop();
                        i = next - 1;
                        continue;
                    }
                    if (name == "left") lefts.Push(i);
                    else if (name == "right" && (lefts.Count == 0 ? -1 : lefts.Pop()) < 0) return $"\\right at character {i + 1} has no \\left";
                    i = end - 1;
                    continue;
                }
                if (n == '(') { if (openParen is not null) return $"\\( at character {i + 1} opens inside another \\("; openParen = i; }
                else if (n == ')') { if (openParen is null) return $"\\) at character {i + 1} closes nothing"; openParen = null; }
                else if (n == '[') { if (openBracket is not null) return $"\\[ at character {i + 1} opens inside another \\["; openBracket = i; }
                else if (n == ']') { if (openBracket is null) return $"\\] at character {i + 1} closes nothing"; openBracket = null; }
                i++; // \{ \} \$ \\ and the like are escapes, not structure
                continue;
            }
            if (c == '{') braces.Push(i);
            else if (c == '}')
            {
                if (braces.Count == 0) return $"'}}' at character {i + 1} closes nothing";
                braces.Pop();
            }
            else if (c == '$')
            {
                // A $ just before a digit with no closing $ is a price ("$5"), not a delimiter.
                if (openDollar is null && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]) && text.IndexOf('$', i + 1) < 0) continue;
                if (i + 1 < text.Length && text[i + 1] == '$') i++;
                openDollar = openDollar is null ? i : null;
            }
        }
        if (braces.Count > 0) return $"'{{' at character {braces.Peek() + 1} is never closed";
        if (environments.Count > 0) return $"\\begin{{{environments.Peek().Name}}} at character {environments.Peek().At + 1} is never closed";
        if (lefts.Count > 0) return $"\\left at character {lefts.Peek() + 1} has no \\right";
        if (openDollar is not null) return $"'$' at character {openDollar + 1} is never closed";
        if (openParen is not null) return $"\\( at character {openParen + 1} is never closed";
        if (openBracket is not null) return $"\\[ at character {openBracket + 1} is never closed";
        return null;
    }
}
