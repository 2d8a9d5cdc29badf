using Qed.Viewer.ReadModel;

namespace Qed.Viewer.Report;

/// <summary>Mean graded score of one run within one group (a level or a category), over graded samples only.</summary>
public sealed record GroupScore(string RunId, string Group, double Score, int Graded);

/// <summary>A point of a test-time scaling curve: the score a run reaches if every sample is cut off at
/// <see cref="TokenBudget"/> tokens (samples that needed more count as 0).</summary>
public sealed record BudgetPoint(long TokenBudget, double Score);

/// <summary>Pure aggregations behind the report's tables and charts.</summary>
public static class ScoreBreakdown
{
    public static IReadOnlyList<GroupScore> ByGroup(IEnumerable<SamplePoint> points, Func<SamplePoint, string?> group) =>
        points.Where(p => p.Score is not null)
            .GroupBy(p => (p.RunId, Group: group(p) ?? "(none)"))
            .Select(g => new GroupScore(g.Key.RunId, g.Key.Group, g.Average(p => p.Score!.Value), g.Count()))
            .OrderBy(g => g.Group, StringComparer.Ordinal)
            .ToList();

    /// <summary>Score as a function of a per-sample token budget: at budget B, the mean over graded samples of
    /// score × [total tokens ≤ B]. It rises from 0 to the run's score at the largest sample's spend; budgets are
    /// the distinct spends of the run's samples, so the curve is exact, not interpolated.</summary>
    public static IReadOnlyList<BudgetPoint> ScalingCurve(IEnumerable<SamplePoint> points)
    {
        var graded = points.Where(p => p.Score is not null).OrderBy(p => p.Usage.TotalTokens).ToList();
        if (graded.Count == 0) return [];
        var curve = new List<BudgetPoint>();
        var sum = 0.0;
        for (var i = 0; i < graded.Count; i++)
        {
            sum += graded[i].Score!.Value;
            var budget = graded[i].Usage.TotalTokens;
            if (i + 1 < graded.Count && graded[i + 1].Usage.TotalTokens == budget) continue;
            curve.Add(new BudgetPoint(budget, sum / graded.Count));
        }
        return curve;
    }
}
