using System.Text;

namespace Qed.Data;

/// <summary>
/// Turns a problem statement into the word tokens used for overlap detection, so that the same problem
/// written with different formatting gives the same tokens: Unicode compatibility folding, lower case,
/// LaTeX spacing and sizing commands dropped, synonymous commands merged (<c>\leq</c>, <c>\le</c>, <c>≤</c>),
/// Markdown and punctuation ignored. A token is a run of letters or a run of digits.
/// </summary>
public static class TextNormalizer
{
    // Commands that only change how a formula looks, never what it says.
    private static readonly HashSet<string> Dropped =
    [
        "left", "right", "big", "bigg", "bigl", "bigr", "biggl", "biggr", "displaystyle", "textstyle",
        "mathrm", "mathbf", "mathit", "mathsf", "mathcal", "mathbb", "boldsymbol", "bm", "text", "textbf",
        "textit", "emph", "operatorname", "quad", "qquad", "cdot", "cdots", "ldots", "dots", "dotsc",
        "begin", "end", "align", "aligned", "array", "cases", "equation", "displaymath", "hspace", "vspace",
        "noindent", "newline", "limits", "nolimits", "mbox",
    ];

    private static readonly Dictionary<string, string> Synonyms = new()
    {
        ["leq"] = "le", ["leqslant"] = "le", ["geq"] = "ge", ["geqslant"] = "ge", ["neq"] = "ne",
        ["dfrac"] = "frac", ["tfrac"] = "frac", ["lvert"] = "vert", ["rvert"] = "vert", ["mid"] = "vert",
        ["times"] = "times", ["rightarrow"] = "to", ["longrightarrow"] = "to", ["mapsto"] = "to",
        ["varepsilon"] = "epsilon", ["varphi"] = "phi", ["ge"] = "ge", ["le"] = "le",
    };

    private static readonly Dictionary<char, string> Symbols = new()
    {
        ['≤'] = "le", ['≥'] = "ge", ['≠'] = "ne", ['→'] = "to", ['∈'] = "in", ['∞'] = "infty",
        ['×'] = "times", ['·'] = "", ['…'] = "", ['π'] = "pi", ['α'] = "alpha", ['β'] = "beta",
        ['γ'] = "gamma", ['∑'] = "sum", ['∏'] = "prod", ['√'] = "sqrt", ['ℝ'] = "r", ['ℤ'] = "z",
        ['ℕ'] = "n", ['ℚ'] = "q",
    };

    public static List<string> Tokens(string text)
    {
        var tokens = new List<string>(text.Length / 5 + 1);
        // Compatibility folding only matters outside ASCII, and is the costliest step: skip it when it cannot change anything.
        var s = System.Text.Ascii.IsValid(text) ? text : text.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '\\' && i + 1 < s.Length && char.IsLetter(s[i + 1]))
            {
                var j = i + 1;
                while (j < s.Length && char.IsLetter(s[j])) j++;
                var name = s[(i + 1)..j].ToLowerInvariant();
                i = j;
                if (Dropped.Contains(name)) continue;
                tokens.Add(Synonyms.TryGetValue(name, out var syn) ? syn : name);
                continue;
            }
            if (Symbols.TryGetValue(c, out var sym))
            {
                if (sym.Length > 0) tokens.Add(sym);
                i++;
                continue;
            }
            if (char.IsLetter(c))
            {
                sb.Clear();
                while (i < s.Length && char.IsLetter(s[i]) && !Symbols.ContainsKey(s[i])) sb.Append(char.ToLowerInvariant(s[i++]));
                tokens.Add(sb.ToString());
                continue;
            }
            if (char.IsDigit(c))
            {
                sb.Clear();
                while (i < s.Length && char.IsDigit(s[i])) sb.Append(s[i++]);
                tokens.Add(sb.ToString());
                continue;
            }
            if (c == '<') { tokens.Add(i + 1 < s.Length && s[i + 1] == '=' ? "le" : "lt"); i += i + 1 < s.Length && s[i + 1] == '=' ? 2 : 1; continue; }
            if (c == '>') { tokens.Add(i + 1 < s.Length && s[i + 1] == '=' ? "ge" : "gt"); i += i + 1 < s.Length && s[i + 1] == '=' ? 2 : 1; continue; }
            i++;
        }
        return tokens;
    }

    /// <summary>A stable 64-bit hash of a token (FNV-1a, then mixed), the same on every run and machine.</summary>
    public static ulong Hash(string token)
    {
        var h = 14695981039346656037UL;
        foreach (var ch in token)
        {
            h ^= ch;
            h *= 1099511628211UL;
        }
        return Mix(h);
    }

    /// <summary>SplitMix64 finaliser: spreads every input bit over the whole word.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Hashes of every window of <paramref name="n"/> consecutive tokens; a text shorter than
    /// <paramref name="n"/> gives one hash of all its tokens (none when it has no token).</summary>
    public static ulong[] NGramHashes(IReadOnlyList<ulong> tokenHashes, int n)
    {
        if (tokenHashes.Count == 0) return [];
        var count = Math.Max(1, tokenHashes.Count - n + 1);
        var width = Math.Min(n, tokenHashes.Count);
        var result = new ulong[count];
        for (var start = 0; start < count; start++)
        {
            var h = 0x9E3779B97F4A7C15UL ^ (ulong)width;
            for (var k = 0; k < width; k++) h = Mix(h ^ tokenHashes[start + k]) + (ulong)k;
            result[start] = h;
        }
        return result;
    }

    public static ulong[] TokenHashes(string text) => Tokens(text).Select(Hash).ToArray();
}
