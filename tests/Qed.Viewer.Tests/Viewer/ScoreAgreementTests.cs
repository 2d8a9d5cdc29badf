using Qed.Runs;
using Qed.Stats;
using Qed.Viewer.ReadModel;

namespace Qed.Viewer.Tests.Viewer;

/// <summary>The viewer and report never disagree with <c>qed stats</c> about a score.</summary>
public class ScoreAgreementTests
{
    [Fact]
    public async Task Leaderboard_line_equals_qed_stats_for_the_same_samples()
    {
        var dir = Path.Combine(Path.GetTempPath(), "qed-viewer-agree-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var db = Path.Combine(dir, "qed.db");
            // One model × benchmark line: 6 problems × 3 repetitions with a failed, a truncated and a grade_failed sample.
            await SeededStore.WriteAsync(db, [SeedData.Runs()[0]]);
            EvalStats stats;
            await using (var store = await RunStore.OpenAsync(db)) stats = (await StatsQuery.ComputeAsync(store, RunSelection.All, CancellationToken.None)).Single();

            var runs = await new RunStoreResults(db).RunsAsync(CancellationToken.None);
            var line = Leaderboard.From(runs).Should().ContainSingle().Subject;

            stats.Score.Should().NotBeNull();
            (line.ScoreMean!.Value * 100).Should().BeApproximately(stats.Score!.Value, 1e-9);
            (line.ScoreStd!.Value * 100).Should().BeApproximately(stats.ScoreStd!.Value, 1e-9);
            line.Runs.Should().Be(stats.Runs);
            runs[0].Graded.Should().Be(stats.Graded);
            runs[0].Samples.Should().Be(stats.Samples);
            runs[0].Statuses.GetValueOrDefault("grade_failed").Should().Be(stats.GradeFailed);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
