namespace Qed.Viewer.ReadModel;

/// <summary>Groups runs into model × benchmark × scaffold lines. A line's score is the mean over every repetition
/// (run index) of its runs, its spread their sample std (ddof 1), exactly as <c>qed stats</c> reports one store.</summary>
public static class Leaderboard
{
    public static IReadOnlyList<LeaderboardRow> From(IEnumerable<RunSummary> runs) =>
        runs.GroupBy(r => (r.Model, r.Benchmark, Scaffold: r.Scaffold ?? ""))
            .Select(g =>
            {
                var repetitions = g.SelectMany(r => r.RepetitionScores).ToList();
                return new LeaderboardRow(
                    g.Key.Model, g.Key.Benchmark, g.Key.Scaffold.Length == 0 ? null : g.Key.Scaffold,
                    repetitions.Count > 0 ? repetitions.Average() : null, SampleStd(repetitions), repetitions.Count,
                    g.Sum(r => r.TotalCostUsd), g.Sum(r => r.Usage.TotalTokens), g.Select(r => r.RunId).ToList());
            })
            .OrderBy(r => r.Benchmark, StringComparer.Ordinal)
            .ThenByDescending(r => r.ScoreMean ?? -1)
            .ToList();

    /// <summary>Sample standard deviation (ddof 1), as the published ± figures; null with fewer than two values.</summary>
    public static double? SampleStd(IReadOnlyList<double> xs)
    {
        if (xs.Count < 2) return null;
        var mean = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
    }
}
