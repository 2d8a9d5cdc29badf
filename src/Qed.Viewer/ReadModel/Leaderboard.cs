using Qed.Stats;

namespace Qed.Viewer.ReadModel;

/// <summary>The leaderboard: one line per (run, judge), each the <see cref="EvalStats"/> that <c>qed stats</c> prints for it.
/// Nothing is pooled: two runs of one model × benchmark × scaffold are two lines, and so are two judges of one run.</summary>
public static class Leaderboard
{
    /// <summary>Lines by benchmark, best score first; a (run, judge) without a score (nothing graded) last.</summary>
    public static IReadOnlyList<EvalStats> From(IEnumerable<EvalStats> scores) =>
        scores.OrderBy(s => s.Run.Benchmark, StringComparer.Ordinal)
            .ThenByDescending(s => s.Score ?? -1)
            .ThenBy(s => s.Run.RunId, StringComparer.Ordinal)
            .ThenBy(s => s.Judge?.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>Sample standard deviation (ddof 1), as the published ± figures; null with fewer than two values.</summary>
    public static double? SampleStd(IReadOnlyList<double> xs) => EvalStats.SampleStd(xs);
}
