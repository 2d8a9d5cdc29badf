using System.Text.Json.Nodes;
using Qed.Runs;

namespace Qed.Stats;

/// <summary>
/// The summary of a run store. Scores are percentages of the maximum points (points / 7 × 100) over graded
/// samples only: a sample that failed, is not graded yet, or whose grade failed never counts as 0.
/// <see cref="Score"/> is the mean of the per-run means (avg@k), <see cref="ScoreStd"/> their population std.
/// </summary>
public sealed record EvalStats(
    double? Score, double? ScoreStd, int Runs, int Problems,
    IReadOnlyDictionary<string, double> ByLevel, IReadOnlyDictionary<string, double> ByCategory,
    double CostUsd, double OutputTokensMean, int Failed, int Truncated,
    int Samples, int Graded, int GradeFailed, int Ungraded, int BudgetExhausted, int Pending,
    IReadOnlyList<double> PerRunScores)
{
    public static async Task<EvalStats> ComputeAsync(RunStore store, CancellationToken cancellationToken)
    {
        var samples = await store.ListSamplesAsync(null, cancellationToken);
        var grades = (await store.ListGradesAsync(null, cancellationToken)).ToDictionary(g => g.SampleId);
        var cost = await store.TotalCostAsync(cancellationToken);

        var graded = samples
            .Select(s => (Sample: s, Grade: grades.GetValueOrDefault(s.SampleId)))
            .Where(x => x.Sample.Status.IsFinished() && x.Grade is { Status: GradeStatus.Graded, Points: not null })
            .Select(x => (x.Sample, Percent: 100.0 * x.Grade!.Points!.Value / x.Grade.MaxPoints))
            .ToList();
        var perRun = graded.GroupBy(x => x.Sample.RunIndex).OrderBy(g => g.Key).Select(g => g.Average(x => x.Percent)).ToList();
        double? score = perRun.Count == 0 ? null : perRun.Average();
        double? std = perRun.Count == 0 ? null : Math.Sqrt(perRun.Average(m => (m - score!.Value) * (m - score.Value)));

        static IReadOnlyDictionary<string, double> By(IEnumerable<(SampleRecord Sample, double Percent)> xs, Func<SampleRecord, string?> key) =>
            xs.Where(x => key(x.Sample) is not null).GroupBy(x => key(x.Sample)!).OrderBy(g => g.Key, StringComparer.Ordinal)
              .ToDictionary(g => g.Key, g => g.Average(x => x.Percent));

        var finished = samples.Where(s => s.Status.IsFinished()).ToList();
        return new EvalStats(
            score, std,
            samples.Select(s => s.RunIndex).Distinct().Count(),
            samples.Select(s => s.ProblemId).Distinct().Count(),
            By(graded, s => s.Problem.Level), By(graded, s => s.Problem.Category),
            cost,
            finished.Count == 0 ? 0 : finished.Average(s => (double)s.Usage.OutputTokens),
            samples.Count(s => s.Status == SampleStatus.Failed),
            samples.Count(s => s.Status == SampleStatus.Truncated),
            samples.Count,
            graded.Count,
            samples.Count(s => grades.TryGetValue(s.SampleId, out var g) && g.Status == GradeStatus.Failed),
            finished.Count(s => !grades.ContainsKey(s.SampleId)),
            samples.Count(s => s.Status == SampleStatus.BudgetExhausted),
            samples.Count(s => s.Status == SampleStatus.Pending),
            perRun);
    }

    /// <summary>The <c>qed stats --json</c> object.</summary>
    public JsonObject ToJson() => new()
    {
        ["score"] = Score,
        ["score_std"] = ScoreStd,
        ["runs"] = Runs,
        ["problems"] = Problems,
        ["by_level"] = new JsonObject(ByLevel.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
        ["by_category"] = new JsonObject(ByCategory.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
        ["cost_usd"] = CostUsd,
        ["output_tokens_mean"] = OutputTokensMean,
        ["failed"] = Failed,
        ["truncated"] = Truncated,
        ["samples"] = Samples,
        ["graded"] = Graded,
        ["grade_failed"] = GradeFailed,
        ["ungraded"] = Ungraded,
        ["budget_exhausted"] = BudgetExhausted,
        ["pending"] = Pending,
        ["per_run_scores"] = new JsonArray(PerRunScores.Select(x => (JsonNode?)x).ToArray()),
    };
}
