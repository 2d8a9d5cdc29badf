using Qed.Grading.Quality;

namespace Qed.Tests.GraderBench;

public class AgreementTests
{
    // Problem P1 has three proofs, P2 two; one judging run.
    //   human: 7 0 1 | 6 7
    //   judge: 7 1 3 | 7 6
    private static readonly ScorePair[] Table =
    [
        new("P1", 0, 7, 7), new("P1", 0, 0, 1), new("P1", 0, 1, 3),
        new("P2", 0, 6, 7), new("P2", 0, 7, 6),
    ];

    [Fact]
    public void Metrics_match_hand_computed_values()
    {
        var m = Agreement.Compute(Table);

        m.N.Should().Be(5);
        // |errors| = 0 1 2 1 1 → 5 / 5
        m.Mae.Should().BeApproximately(1.0, 1e-12);
        // only 7/7 is exact
        m.Accuracy.Should().BeApproximately(0.2, 1e-12);
        // buckets human C I P A C, judge C P P C A → C=C and P=P agree: 2 / 5
        m.BucketAccuracy.Should().BeApproximately(0.4, 1e-12);
        // means 4.2 and 4.8; deviations h 2.8 −4.2 −3.2 1.8 2.8, j 2.2 −3.8 −1.8 2.2 1.2
        // Σdh·dj = 6.16 + 15.96 + 5.76 + 3.96 + 3.36 = 35.2; Σdh² = 46.8; Σdj² = 28.8
        m.Pearson.Should().BeApproximately(35.2 / Math.Sqrt(46.8 * 28.8), 1e-12);
        m.Pearson.Should().BeApproximately(0.95879, 1e-5);
        // average ranks h 4.5 1 2 3 4.5, j 4.5 1 2 4.5 3; both means 3
        // deviations h 1.5 −2 −1 0 1.5, j 1.5 −2 −1 1.5 0 → Σ = 2.25 + 4 + 1 = 7.25; Σd² = 9.5 each
        m.Spearman.Should().BeApproximately(7.25 / 9.5, 1e-12);
        // 10 pairs: 7 concordant, 1 discordant (6,7 vs 7,6), 1 tied in human only (7,7), 1 tied in judge only (7 vs 7)
        // tau-b = (7 − 1) / sqrt((10 − 1)(10 − 1)) = 6 / 9
        m.Kendall.Should().BeApproximately(6.0 / 9.0, 1e-12);
        // P1: 3 pairs all ordered alike; P2: 1 pair reversed → 3 / 4
        m.PairwiseConsistency.Should().BeApproximately(0.75, 1e-12);
        m.PairwiseComparisons.Should().Be(4);
        // P1 means 8/3 and 11/3: centred h 13/3 −8/3 −5/3, j 10/3 −8/3 −2/3 → |diffs| 1 0 1
        // P2 means 6.5 and 6.5: centred h −0.5 0.5, j 0.5 −0.5 → |diffs| 1 1;  (1+0+1+1+1) / 5
        m.CentredMae.Should().BeApproximately(0.8, 1e-12);

        m.BucketConfusion.Labels.Should().Equal("Incorrect", "Partial", "Almost", "Correct");
        var c = m.BucketConfusion.Counts; // rows: human, columns: judge
        c[3][3].Should().Be(1); // 7 → 7
        c[0][1].Should().Be(1); // 0 → 1
        c[1][1].Should().Be(1); // 1 → 3
        c[2][3].Should().Be(1); // 6 → 7
        c[3][2].Should().Be(1); // 7 → 6
        c.Sum(r => r.Sum()).Should().Be(5);
        m.PointsConfusion.Counts[1][3].Should().Be(1);
        m.PointsConfusion.Counts.Sum(r => r.Sum()).Should().Be(5);
    }

    [Fact]
    public void Spearman_uses_average_ranks_for_ties()
    {
        // x = 1 1 2 → ranks 1.5 1.5 3;  y = 1 2 3 → ranks 1 2 3
        // deviations x −0.5 −0.5 1, y −1 0 1 → Σ = 0.5 + 0 + 1 = 1.5; Σdx² = 1.5; Σdy² = 2
        Agreement.AverageRanks([1, 1, 2]).Should().Equal(1.5, 1.5, 3);
        Agreement.Spearman([1, 1, 2], [1, 2, 3]).Should().BeApproximately(1.5 / Math.Sqrt(1.5 * 2), 1e-12);
        // tau-b: pairs (1,1|1,2) tie in x; (1,2|1,3) and (1,2|2,3) concordant → 2 / sqrt((3−1)(3−0))
        Agreement.KendallTauB([1, 1, 2], [1, 2, 3]).Should().BeApproximately(2 / Math.Sqrt(6), 1e-12);
    }

    [Fact]
    public void A_judge_tie_earns_half_credit_and_undefined_metrics_are_null()
    {
        // one problem, human 0 and 7, judge ties them at 1 → ½
        var m = Agreement.Compute([new("P", 0, 0, 1), new("P", 0, 7, 1)]);
        m.PairwiseConsistency.Should().Be(0.5);
        m.Pearson.Should().BeNull(); // the judge's scores are constant
        m.Kendall.Should().BeNull();

        var empty = Agreement.Compute([]);
        empty.N.Should().Be(0);
        empty.Mae.Should().BeNull();
        empty.CentredMae.Should().BeNull();
    }

    [Theory]
    [InlineData(0, GradeBucket.Incorrect)]
    [InlineData(1, GradeBucket.Partial)]
    [InlineData(3, GradeBucket.Partial)]
    [InlineData(3.5, GradeBucket.Almost)] // rounds to 4
    [InlineData(4, GradeBucket.Almost)]
    [InlineData(6, GradeBucket.Almost)]
    [InlineData(7, GradeBucket.Correct)]
    public void Buckets_are_0_1to3_4to6_7(double points, GradeBucket bucket) => Agreement.BucketOf(points).Should().Be(bucket);

    [Fact]
    public void The_IMO_GradingBench_classes_map_to_0_1_6_7_and_to_their_own_bucket()
    {
        foreach (var (name, points) in new[] { ("Incorrect", 0), ("Partial", 1), ("Almost", 6), ("Correct", 7) })
        {
            Agreement.PointsOfClass(name).Should().Be(points);
            Agreement.BucketOf(points).ToString().Should().Be(name);
        }
        Agreement.PointsOfClass("Great").Should().BeNull();
    }
}
