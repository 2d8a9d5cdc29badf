using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Runs;

namespace Qed.Stats;

/// <summary>One sample of a (run, judge) pair as statistics and exports see it. <see cref="Points"/> is null unless this
/// judge's grade counts (graded, of the answer the sample holds now).</summary>
public sealed record ScoredSample(SampleRecord Sample, GradeRecord? Grade, double? Points, int MaxPoints)
{
    /// <summary>Percent of the maximum, with a missing grade counted as 0 (the original's <c>fillna(0)</c>).</summary>
    public double PercentOrZero => Points is { } p ? 100.0 * p / MaxPoints : 0;
}

/// <summary>
/// The statistics of exactly one run scored by exactly one judge (or panel); nothing is ever pooled across runs or judges.
/// <para><see cref="Score"/> counts every planned sample: a sample without a valid grade (failed, grade_failed, pending,
/// not graded yet) counts 0, as the original harness's <c>fillna(0)</c> does, and <see cref="Complete"/> says whether every
/// sample has a valid grade. Per sample index k (0..K-1, <c>--runs K</c>) the mean over problems is taken;
/// <see cref="Score"/> is the mean of those K means (avg@K) and <see cref="ScoreStd"/> their sample standard deviation
/// (ddof = 1, null for K = 1), as the published ± figures. <see cref="ScoreGraded"/> is the mean over graded samples only.
/// All scores are percent of the maximum points (points / 7 × 100).</para>
/// </summary>
public sealed record EvalStats(
    RunInfo Run, JudgeRef? Judge,
    double? Score, double? ScoreStd, double? ScoreGraded, bool Complete, int Runs, int Problems,
    IReadOnlyDictionary<string, double> ByLevel, IReadOnlyDictionary<string, double> ByCategory,
    double CostUsd, double SolveCostUsd, double GradeCostUsd, long OutputTokens, double OutputTokensMean,
    int Failed, int Truncated, int Samples, int Graded, int GradeFailed, int Ungraded, int BudgetExhausted, int Pending,
    IReadOnlyList<double> PerRunScores, IReadOnlyList<ScoredSample> Scored)
{
    /// <summary>K: samples per problem (sample indexes 0..K-1).</summary>
    public int SamplesPerProblem => Runs;

    /// <summary>Scores one run with one judge. <paramref name="judge"/> null: the run has no grade by any judge yet.</summary>
    public static EvalStats Compute(RunInfo run, JudgeRef? judge, IReadOnlyList<SampleRecord> samples, IReadOnlyDictionary<string, GradeRecord> grades)
    {
        var scored = samples
            .OrderBy(s => s.RunIndex).ThenBy(s => s.ProblemId, StringComparer.Ordinal)
            .Select(s =>
            {
                var g = judge is null ? null : grades.GetValueOrDefault(s.SampleId);
                var counts = g is not null && g.CountsFor(s);
                return new ScoredSample(s, g, counts ? g!.Points : null, g?.MaxPoints is > 0 ? g.MaxPoints : 7);
            }).ToList();

        var perIndex = scored.GroupBy(x => x.Sample.RunIndex).OrderBy(g => g.Key).Select(g => g.Average(x => x.PercentOrZero)).ToList();
        var graded = scored.Where(x => x.Points is not null).ToList();
        double? score = judge is null || perIndex.Count == 0 ? null : perIndex.Average();
        double? std = judge is null ? null : SampleStd(perIndex);

        // Levels and categories: the same fillna(0) rule, mean over sample indexes of the per-index means.
        IReadOnlyDictionary<string, double> By(Func<Problem, string?> key) => judge is null
            ? new Dictionary<string, double>()
            : scored.Where(x => key(x.Sample.Problem) is not null).GroupBy(x => key(x.Sample.Problem)!)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.GroupBy(x => x.Sample.RunIndex).Average(k => k.Average(x => x.PercentOrZero)));

        var finished = samples.Where(s => s.Status.IsFinished()).ToList();
        var gradeFailed = scored.Count(x => x.Sample.Status.IsFinished() && x.Points is null && x.Grade is { Status: GradeStatus.Failed } g
            && (g.AnswerHash is null || g.AnswerHash == AnswerHashing.Of(x.Sample.Answer)));
        var solveCost = samples.Sum(s => s.Usage.CostUsd);
        var gradeCost = scored.Sum(x => x.Grade?.Usage.CostUsd ?? 0);
        return new EvalStats(run, judge, score, std,
            graded.Count == 0 ? null : graded.Average(x => x.PercentOrZero),
            judge is not null && samples.Count > 0 && graded.Count == samples.Count,
            samples.Select(s => s.RunIndex).Distinct().Count(),
            samples.Select(s => s.ProblemId).Distinct().Count(),
            By(p => p.Level), By(p => p.Category),
            solveCost + gradeCost, solveCost, gradeCost,
            samples.Sum(s => s.Usage.OutputTokens),
            finished.Count == 0 ? 0 : finished.Average(s => (double)s.Usage.OutputTokens),
            samples.Count(s => s.Status == SampleStatus.Failed),
            samples.Count(s => s.Status == SampleStatus.Truncated),
            samples.Count, graded.Count, gradeFailed,
            finished.Count - graded.Count - gradeFailed,
            samples.Count(s => s.Status == SampleStatus.BudgetExhausted),
            samples.Count(s => s.Status == SampleStatus.Pending),
            judge is null ? [] : perIndex, scored);
    }

    /// <summary>Sample standard deviation (ddof = 1); null with fewer than two values.</summary>
    public static double? SampleStd(IReadOnlyList<double> xs)
    {
        if (xs.Count < 2) return null;
        var mean = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1));
    }

    /// <summary>The <c>qed stats --json</c> object of this (run, judge). <c>runs</c> and <c>per_run_scores</c> keep their
    /// first names: K (samples per problem) and the per-sample-index means.</summary>
    public JsonObject ToJson() => new()
    {
        ["run_id"] = Run.RunId,
        ["bench"] = Run.Benchmark,
        ["model"] = Run.ModelName,
        ["scaffold"] = Run.ScaffoldName,
        ["judge"] = Judge?.Name,
        ["judge_id"] = Judge?.Id,
        ["protocol"] = Run.Protocol,
        ["complete"] = Complete,
        ["score"] = Score,
        ["score_std"] = ScoreStd,
        ["score_graded"] = ScoreGraded,
        ["runs"] = Runs,
        ["samples_per_problem"] = Runs,
        ["problems"] = Problems,
        ["by_level"] = new JsonObject(ByLevel.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
        ["by_category"] = new JsonObject(ByCategory.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
        ["cost_usd"] = CostUsd,
        ["solve_cost_usd"] = SolveCostUsd,
        ["grade_cost_usd"] = GradeCostUsd,
        ["output_tokens"] = OutputTokens,
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
