namespace Qed.Llm;

/// <summary>Near-miss suggestions for misspelt config fields, roles and commands.</summary>
public static class NearMiss
{
    /// <summary>
    /// The known name closest to <paramref name="name"/> when it is a plausible typo: at most one edit for names of up to
    /// six characters, two for longer ones (transpositions count as one). Null when nothing is that close.
    /// </summary>
    public static string? Closest(string name, IEnumerable<string> known)
    {
        var limit = name.Length <= 6 ? 1 : 2;
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var k in known.Distinct())
        {
            if (k == name) return null;
            var d = Distance(name.ToLowerInvariant(), k.ToLowerInvariant());
            if (d <= limit && d < bestDistance) { best = k; bestDistance = d; }
        }
        return best;
    }

    /// <summary>Optimal string alignment distance (Levenshtein with adjacent transpositions).</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
