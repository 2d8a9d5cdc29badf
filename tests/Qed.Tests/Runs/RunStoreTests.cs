using Qed.Benchmarks;
using Qed.Runs;
using Qed.Stats;
using Qed.Testing;

namespace Qed.Tests.Runs;

public class RunStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    public void Dispose() => _dir.Dispose();

    private static RunInfo Run(string id = "r1") => new(id, "bench", "Proof", "model", "{}", null, null, "h", DateTimeOffset.UtcNow);

    [Fact]
    public async Task Two_judges_grading_one_sample_at_the_same_instant_leave_one_latest_grade()
    {
        var problem = new Problem("p1", "Prove it.");
        await using var store = await RunStore.OpenAsync(_dir.File("twojudges.db"));
        await store.EnsureRunAsync(Run());
        await store.EnsureSampleAsync("s1", "r1", problem, 0);
        await store.CompleteSampleAsync("s1", SampleStatus.Ok, "Proof.", null, null, UsageTotals.Zero, 1.0);
        var at = DateTimeOffset.UtcNow;
        await store.SaveGradeAsync(new GradeRecord("s1", "j1", "judge one", GradeStatus.Graded, 1, 7, null, null, "judge", null, UsageTotals.Zero, null, at));
        await store.SaveGradeAsync(new GradeRecord("s1", "j2", "judge two", GradeStatus.Graded, 7, 7, null, null, "judge", null, UsageTotals.Zero, null, at));

        var latest = await store.ListGradesAsync();
        latest.Should().ContainSingle().Which.JudgeId.Should().Be("j2", "on a tie the later write wins");
        (await store.ListGradesAsync("j1")).Single().Points.Should().Be(1);
    }

    [Fact]
    public async Task Samples_steps_and_grades_survive_reopening()
    {
        var problem = new Problem("p1", "Prove it.", Level: "easy", Category: "Algebra");
        await using (var store = await RunStore.OpenAsync(_dir.File("s.db")))
        {
            await store.EnsureRunAsync(Run());
            (await store.EnsureSampleAsync("s1", "r1", problem, 0)).Status.Should().Be(SampleStatus.Pending);
            await store.SaveStepAsync(new StepRecord("s1", "k1", "generate", "solver", "m", "[]", "Proof.", "thought", false, "stop", 10, 20, 0.5, 1.5, "http://x/v1", DateTimeOffset.UtcNow));
            await store.CompleteSampleAsync("s1", SampleStatus.Ok, "Proof.", "thought", null, new UsageTotals(10, 20, 0.5, 1), 1.5);
            await store.SaveGradeAsync(new GradeRecord("s1", "j1", "judge", GradeStatus.Graded, 6, 7, "minor slip", "...", "judge", "[]", new UsageTotals(1, 2, 0.1, 1), null, DateTimeOffset.UtcNow));
            await store.RecordUsageAsync("s1", "solve", "m", 10, 20, 0.5);
        }
        await using (var store = await RunStore.OpenAsync(_dir.File("s.db")))
        {
            var s = (await store.GetSampleAsync("s1"))!;
            s.Problem.Should().Be(problem with { });
            s.Status.Should().Be(SampleStatus.Ok);
            s.Usage.Should().Be(new UsageTotals(10, 20, 0.5, 1));
            (await store.FindStepAsync("s1", "k1"))!.Reasoning.Should().Be("thought");
            (await store.FindStepAsync("s1", "other")).Should().BeNull();
            (await store.ListGradesAsync("j1")).Single().Points.Should().Be(6);
            (await store.TotalCostAsync()).Should().Be(0.5);
            // EnsureSample leaves an existing sample alone.
            (await store.EnsureSampleAsync("s1", "r1", problem, 0)).Status.Should().Be(SampleStatus.Ok);
        }
    }

    [Fact]
    public async Task Concurrent_writes_are_all_committed()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("c.db"));
        await store.EnsureRunAsync(Run());
        await Task.WhenAll(Enumerable.Range(0, 500).Select(i => store.AddSampleAsync($"s{i}", "r1", new Problem($"p{i}", "x"), 0)));
        (await store.ListSamplesAsync("r1")).Should().HaveCount(500);
    }

    [Fact]
    public async Task Stats_count_every_planned_sample_missing_grades_as_zero_and_say_it_is_incomplete()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("t.db"));
        await store.EnsureRunAsync(Run());
        async Task Sample(string id, int runIndex, string level, SampleStatus status, string? gradeStatus, double? points)
        {
            await store.AddSampleAsync(id, "r1", new Problem("p-" + id[0], "x", Level: level), runIndex);
            await store.CompleteSampleAsync(id, status, "a", null, status == SampleStatus.Failed ? "boom" : null, new UsageTotals(0, 100, 0, 1), 0);
            if (gradeStatus is not null)
                await store.SaveGradeAsync(new GradeRecord(id, "j", "judge", gradeStatus, points, 7, null, null, "judge", null, UsageTotals.Zero, null,
                    DateTimeOffset.UtcNow, AnswerHashing.Of("a")));
        }
        await Sample("a0", 0, "easy", SampleStatus.Ok, GradeStatus.Graded, 7);
        await Sample("b0", 0, "hard", SampleStatus.Ok, GradeStatus.Graded, 0);
        await Sample("c0", 0, "hard", SampleStatus.Ok, GradeStatus.Graded, 7);
        await Sample("a1", 1, "easy", SampleStatus.Ok, GradeStatus.Graded, 7);
        await Sample("b1", 1, "hard", SampleStatus.Ok, GradeStatus.Failed, null);   // counts 0
        await Sample("c1", 1, "hard", SampleStatus.Failed, null, null);              // counts 0

        var stats = (await StatsQuery.ComputeAsync(store, RunSelection.All, CancellationToken.None)).Single();
        // index 0: (100 + 0 + 100) / 3; index 1: (100 + 0 + 0) / 3
        stats.PerRunScores.Should().HaveCount(2);
        stats.PerRunScores[0].Should().BeApproximately(200.0 / 3, 1e-9);
        stats.PerRunScores[1].Should().BeApproximately(100.0 / 3, 1e-9);
        stats.Score.Should().BeApproximately(50, 1e-9);
        stats.ScoreStd.Should().BeApproximately(Math.Sqrt(2 * Math.Pow(100.0 / 6, 2) / 1), 1e-9); // ddof = 1
        stats.ScoreGraded.Should().BeApproximately(300.0 / 4, 1e-9);
        stats.Complete.Should().BeFalse();
        stats.ByLevel["easy"].Should().Be(100);
        stats.ByLevel["hard"].Should().BeApproximately((50 + 0) / 2.0, 1e-9);
        stats.Failed.Should().Be(1);
        stats.GradeFailed.Should().Be(1);
        stats.Graded.Should().Be(4);
        stats.Judge!.Name.Should().Be("judge");
        stats.ToJson()["score"]!.GetValue<double>().Should().BeApproximately(50, 1e-9);
        stats.ToJson()["complete"]!.GetValue<bool>().Should().BeFalse();
    }
}
