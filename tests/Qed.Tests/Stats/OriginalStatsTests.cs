using Qed.Stats;

namespace Qed.Tests.Stats;

/// <summary>The original harness's summary columns, recomputed from their published definitions on a small example
/// worked out by hand (values in points, as its files hold them).</summary>
public class OriginalStatsTests
{
    //            problem          score  out tokens  grade input tokens  model_solution
    private static readonly OriginalRow[] Index0 =
    [
        new("PB-Basic-001", 7, 1000, 100, "P"),
        new("PB-Basic-002", null, 2000, 0, ""),       // truncated, never graded: counts 0
        new("PB-Advanced-001", 1, 3000, 300, "Q"),
    ];
    private static readonly OriginalRow[] Index1 =
    [
        new("PB-Basic-001", 6, 1500, 150, "P"),
        new("PB-Basic-002", 0, 2500, 250, "R"),
        new("PB-Advanced-001", 5, 3500, 350, "S"),
    ];

    [Fact]
    public void Two_indexes_give_the_mean_of_per_index_means_with_missing_as_zero_and_ddof_1()
    {
        var s = OriginalStats.Compute([Index0, Index1]);
        // per-index means: (7 + 0 + 1) / 3 = 8/3 and (6 + 0 + 5) / 3 = 11/3
        s.Overall.Should().BeApproximately((8.0 / 3 + 11.0 / 3) / 2, 1e-12);
        s.Std.Should().BeApproximately(Math.Sqrt(2 * 0.5 * 0.5 / 1), 1e-12); // |8/3 − 11/3| = 1, ddof 1 → √0.5
        s.Split0Name.Should().Be("Basic");
        s.Split0.Should().BeApproximately(((7 + 0) / 2.0 + (6 + 0) / 2.0) / 2, 1e-12);
        s.Split1.Should().BeApproximately((1 + 5) / 2.0, 1e-12);
        // CoT = output − grade input: 900, 2000, 2700, 1350, 2250, 3150
        s.Cot.Min.Should().Be(900); s.Cot.Max.Should().Be(3150);
        s.Cot.Mean.Should().BeApproximately((900 + 2000 + 2700 + 1350 + 2250 + 3150) / 6.0, 1e-9);
        s.Solution.Min.Should().Be(0); s.Solution.Max.Should().Be(350);
        s.TokMean.Should().BeApproximately(13500 / 6.0, 1e-9);
        s.TokSumPerRun.Should().BeApproximately((6000 + 7500) / 2.0, 1e-9);
        // correct = score ≥ 5: 7, 6, 5 → tokens 1000, 1500, 3500
        s.TokCorrect.Min.Should().Be(1000); s.TokCorrect.Max.Should().Be(3500);
        s.TokCorrect.Mean.Should().BeApproximately(2000, 1e-9);
        s.TokIncorrect.Min.Should().Be(2000); s.TokIncorrect.Max.Should().Be(3000);
        s.TruncatedFrac.Should().BeApproximately(1 / 6.0, 1e-12);
        OriginalStats.Compute([Index0, Index1], MergeMethod.Max).Overall.Should().BeApproximately(11.0 / 3, 1e-12);
        OriginalStats.Compute([Index0, Index1], MergeMethod.Min).Overall.Should().BeApproximately(8.0 / 3, 1e-12);
        s.Columns().Select(c => c.Name).Should().StartWith(["Overall", "Std", "Basic", "Advanced", "CoT Min"]);
        s.Columns().First().Value.Should().Be("3.1667");
    }

    [Fact]
    public void Without_basic_ids_the_split_is_2024_2025_against_the_rest()
    {
        OriginalRow[] a = [new("imo-2024-p1", 7, 10, 1, "x"), new("usamo-2019-p2", 0, 10, 1, "y")];
        OriginalRow[] b = [new("imo-2024-p1", 5, 10, 1, "x"), new("usamo-2019-p2", 1, 10, 1, "y")];
        var s = OriginalStats.Compute([a, b]);
        s.Split0Name.Should().Be("2024/2025");
        s.Split0.Should().Be(6);
        s.Split1.Should().Be(0.5);
    }

    [Fact]
    public void One_index_averages_graded_rows_only_and_splits_correct_at_six_as_the_original()
    {
        var s = OriginalStats.Compute([Index0]);
        s.Overall.Should().Be(4); // (7 + 1) / 2: the single-file branch skips the missing score
        s.Std.Should().BeNull();
        s.TokCorrect.Mean.Should().Be(1000);
        s.Columns().Select(c => c.Name).Should().NotContain("Std");
    }

    [Fact]
    public void Files_of_different_lengths_cannot_be_merged()
    {
        var act = () => OriginalStats.Compute([Index0, Index1[..2]]);
        act.Should().Throw<QedException>();
    }
}
