namespace Qed.Grading.Quality;

/// <summary>One proof graded by a human and by the judge (one judging run of it).</summary>
/// <param name="Run">the judging run (0-based); within-problem metrics compare proofs of one problem in one run.</param>
public sealed record ScorePair(string ProblemId, int Run, double Human, double Judge);

/// <summary>The four IMO-GradingBench classes; as points they are 0, 1, 6 and 7.</summary>
public enum GradeBucket { Incorrect, Partial, Almost, Correct }

/// <summary>A square count table: rows are the human's class, columns the judge's.</summary>
public sealed record ConfusionMatrix(IReadOnlyList<string> Labels, int[][] Counts);

/// <summary>How well the judge agrees with the human graders. A metric that is undefined on the data (e.g. a
/// correlation when one side is constant, a within-problem metric when no problem has two proofs) is null.</summary>
public sealed record AgreementMetrics(
    int N,
    double? Mae,
    double? Accuracy,
    double? BucketAccuracy,
    double? Pearson,
    double? Spearman,
    double? Kendall,
    double? PairwiseConsistency,
    int PairwiseComparisons,
    double? CentredMae,
    ConfusionMatrix BucketConfusion,
    ConfusionMatrix PointsConfusion);

/// <summary>
/// Agreement metrics between human and judge scores on the 0–7 scale (pure functions).
/// Buckets: a score is rounded to the nearest whole point (halves up), then 0 → Incorrect, 1–3 → Partial,
/// 4–6 → Almost, 7 → Correct, so the IMO-GradingBench classes (0/1/6/7) land in their own bucket.
/// Within-problem metrics compare proofs of the same problem judged in the same run.
/// </summary>
public static class Agreement
{
    public static readonly IReadOnlyList<string> BucketLabels = ["Incorrect", "Partial", "Almost", "Correct"];

    public static int RoundPoints(double x) => (int)Math.Clamp(Math.Floor(x + 0.5), 0, 7);

    public static GradeBucket BucketOf(double points) => RoundPoints(points) switch
    {
        0 => GradeBucket.Incorrect,
        <= 3 => GradeBucket.Partial,
        <= 6 => GradeBucket.Almost,
        _ => GradeBucket.Correct,
    };

    /// <summary>The points an IMO-GradingBench class stands for, or null for an unknown name.</summary>
    public static int? PointsOfClass(string name) => name.Trim().ToLowerInvariant() switch
    {
        "incorrect" => 0,
        "partial" => 1,
        "almost" => 6,
        "correct" => 7,
        _ => null,
    };

    public static AgreementMetrics Compute(IReadOnlyList<ScorePair> pairs)
    {
        var n = pairs.Count;
        var h = pairs.Select(p => p.Human).ToArray();
        var j = pairs.Select(p => p.Judge).ToArray();
        var bucketCounts = Square(4);
        var pointCounts = Square(8);
        foreach (var p in pairs)
        {
            bucketCounts[(int)BucketOf(p.Human)][(int)BucketOf(p.Judge)]++;
            pointCounts[RoundPoints(p.Human)][RoundPoints(p.Judge)]++;
        }
        var (consistency, comparisons) = PairwiseConsistency(pairs);
        return new AgreementMetrics(
            n,
            n == 0 ? null : pairs.Average(p => Math.Abs(p.Human - p.Judge)),
            n == 0 ? null : pairs.Count(p => p.Human == p.Judge) / (double)n,
            n == 0 ? null : pairs.Count(p => BucketOf(p.Human) == BucketOf(p.Judge)) / (double)n,
            Pearson(h, j),
            Spearman(h, j),
            KendallTauB(h, j),
            consistency,
            comparisons,
            CentredMae(pairs),
            new ConfusionMatrix(BucketLabels, bucketCounts),
            new ConfusionMatrix(Enumerable.Range(0, 8).Select(i => i.ToString()).ToList(), pointCounts));
    }

    private static int[][] Square(int size) => Enumerable.Range(0, size).Select(_ => new int[size]).ToArray();

    /// <summary>Pearson's r; null with fewer than two points or when either side is constant.</summary>
    public static double? Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var n = x.Count;
        if (n < 2) return null;
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < n; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? null : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Spearman's rho: Pearson's r of the ranks, tied values sharing their average rank.</summary>
    public static double? Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y) => Pearson(AverageRanks(x), AverageRanks(y));

    /// <summary>1-based ranks; tied values get the mean of the ranks they span.</summary>
    public static double[] AverageRanks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            var rank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++) ranks[order[k]] = rank;
            start = end + 1;
        }
        return ranks;
    }

    /// <summary>Kendall's tau-b: (concordant − discordant) / sqrt((n0 − ties in x)(n0 − ties in y)).</summary>
    public static double? KendallTauB(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var n = x.Count;
        if (n < 2) return null;
        long concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
        for (var a = 0; a < n; a++)
            for (var b = a + 1; b < n; b++)
            {
                var dx = Math.Sign(x[a] - x[b]);
                var dy = Math.Sign(y[a] - y[b]);
                if (dx == 0) tiesX++;
                if (dy == 0) tiesY++;
                if (dx != 0 && dy != 0)
                {
                    if (dx == dy) concordant++; else discordant++;
                }
            }
        var n0 = (long)n * (n - 1) / 2;
        var denominator = Math.Sqrt((double)(n0 - tiesX) * (n0 - tiesY));
        return denominator == 0 ? null : (concordant - discordant) / denominator;
    }

    /// <summary>
    /// Over every two proofs of the same problem (same judging run) that the human scored differently: 1 when the
    /// judge orders them the same way, ½ when the judge ties them, 0 when it reverses them; the mean, and how many
    /// such comparisons there were.
    /// </summary>
    public static (double? Consistency, int Comparisons) PairwiseConsistency(IReadOnlyList<ScorePair> pairs)
    {
        double credit = 0;
        var comparisons = 0;
        foreach (var group in pairs.GroupBy(p => (p.ProblemId, p.Run)))
        {
            var g = group.ToArray();
            for (var a = 0; a < g.Length; a++)
                for (var b = a + 1; b < g.Length; b++)
                {
                    var human = Math.Sign(g[a].Human - g[b].Human);
                    if (human == 0) continue;
                    comparisons++;
                    var judge = Math.Sign(g[a].Judge - g[b].Judge);
                    credit += judge == human ? 1 : judge == 0 ? 0.5 : 0;
                }
        }
        return (comparisons == 0 ? null : credit / comparisons, comparisons);
    }

    /// <summary>
    /// Mean |(human − problem's human mean) − (judge − problem's judge mean)| over proofs of problems with at least
    /// two proofs in the run: disagreement once each grader's per-problem leniency is taken out.
    /// </summary>
    public static double? CentredMae(IReadOnlyList<ScorePair> pairs)
    {
        var diffs = new List<double>();
        foreach (var group in pairs.GroupBy(p => (p.ProblemId, p.Run)))
        {
            var g = group.ToArray();
            if (g.Length < 2) continue;
            double mh = g.Average(p => p.Human), mj = g.Average(p => p.Judge);
            diffs.AddRange(g.Select(p => Math.Abs((p.Human - mh) - (p.Judge - mj))));
        }
        return diffs.Count == 0 ? null : diffs.Average();
    }
}
