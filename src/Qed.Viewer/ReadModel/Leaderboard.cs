namespace Qed.Viewer.ReadModel;

/// <summary>Groups runs into model × benchmark × scaffold lines: score mean ± sample std over the runs that
/// have a graded score (avg@k), cost and tokens summed over all runs of the line.</summary>
public static class Leaderboard
{
    public static IReadOnlyList<LeaderboardRow> From(IEnumerable<RunSummary> runs) =>
        runs.GroupBy(r => (r.Model, r.Benchmark, Scaffold: r.Scaffold ?? ""))
            .Select(g =>
            {
                var scores = g.Where(r => r.Score is not null).Select(r => r.Score!.Value).ToList();
                double? mean = scores.Count > 0 ? scores.Average() : null;
                double? std = scores.Count > 1
                    ? Math.Sqrt(scores.Sum(s => (s - mean!.Value) * (s - mean.Value)) / (scores.Count - 1))
                    : null;
                var costs = g.Select(r => r.Usage.CostUsd).Where(c => c is not null).ToList();
                return new LeaderboardRow(
                    g.Key.Model, g.Key.Benchmark, g.Key.Scaffold.Length == 0 ? null : g.Key.Scaffold,
                    mean, std, g.Count(),
                    costs.Count > 0 ? costs.Sum() : null,
                    g.Sum(r => r.Usage.TotalTokens),
                    g.Select(r => r.RunId).ToList());
            })
            .OrderBy(r => r.Benchmark, StringComparer.Ordinal)
            .ThenByDescending(r => r.ScoreMean ?? -1)
            .ToList();
}
