using Qed.Runs;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

/// <summary>
/// Stopping a scaffold part-way and running it again with a fresh store connection (what a new process sees) asks
/// only for the steps that had not finished. The kill -9 variant, with a real process, is in Qed.Cli.Tests.
/// </summary>
public class ResumeTests
{
    public static TheoryData<string, int, int> Scaffolds => new()
    {
        // scaffold yaml, total calls, request at which the first run is stopped
        { "type: reasoning-cache\nn_iterations: 4\n", 7, 4 },
        { "type: deepseek-math\npool_size: 2\nverification_pool_size: 2\nmax_iterations: 2\n", 18, 9 },
        { "type: nomos\nn_solutions_to_generate: 4\nmax_kept_solutions: 4\ntarget_perfect_scores: 9\n", 4 + 4 + 1 + 3, 7 },
        { "type: rsa\nn_solutions: 4\nn_rounds: 2\nblock_size: 2\n", 4 + 8 + 3, 8 },
        { "type: self-check\ncorrect_count: 2\nerror_count: 2\nmax_iterations: 5\n", 2 + 3 * 2, 5 },
        { "type: static-dag\nn_approach_solutions: 1\nn_no_approach_solutions: 1\nn_solutions_per_approach: 2\n", 1 + 2 * 7 + 1, 8 },
    };

    /// <summary>Deterministic replies: no scores or verdicts parse, so every algorithm runs to its full length.</summary>
    private static ScriptedReply Reply(string conversation) => ScriptedReply.Text("no decision here", reasoning: "thinking");

    [Theory]
    [MemberData(nameof(Scaffolds))]
    public async Task A_stopped_scaffold_resumes_without_repeating_a_finished_step(string yaml, int total, int stopAt)
    {
        using var stop = new CancellationTokenSource();
        var requests = 0;
        await using var bench = await ScaffoldBench.StartAsync(c =>
        {
            if (Interlocked.Increment(ref requests) < stopAt || stop.IsCancellationRequested) return Reply(c);
            stop.Cancel(); // stop while this request (and any parallel ones) are in flight
            return Reply(c) with { Delay = TimeSpan.FromSeconds(30) };
        });
        var scaffold = bench.WriteScaffold(yaml);

        var first = () => bench.SolveAsync(scaffold, stop.Token);
        await first.Should().ThrowAsync<OperationCanceledException>();
        int finished;
        await using (var store = await RunStore.OpenAsync(bench.StorePath))
        {
            var sample = (await store.ListSamplesAsync()).Single();
            sample.Status.Should().Be(SampleStatus.Pending);
            finished = (await store.ListStepsAsync(sample.SampleId)).Count;
        }
        finished.Should().BeGreaterThan(0).And.BeLessThan(total);
        var before = bench.Server.RequestCount;

        var outcome = await bench.SolveAsync(scaffold); // fresh factory, fresh store connection

        (bench.Server.RequestCount - before).Should().Be(total - finished);
        outcome.Steps.Should().HaveCount(total);
        outcome.Steps.Select(s => s.Name).Should().OnlyHaveUniqueItems();
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        outcome.Sample.Usage.Calls.Should().Be(total);
    }

    [Fact]
    public async Task A_finished_sample_is_never_requested_again()
    {
        await using var bench = await ScaffoldBench.StartAsync(Reply);
        var scaffold = bench.WriteScaffold("type: rsa\nn_solutions: 3\nn_rounds: 1\nblock_size: 2\n");
        var first = await bench.SolveAsync(scaffold);
        var count = bench.Server.RequestCount;
        var again = await bench.SolveAsync(scaffold);
        bench.Server.RequestCount.Should().Be(count);
        again.Sample.Answer.Should().Be(first.Sample.Answer);
    }

    [Fact]
    public async Task A_step_the_algorithm_cannot_do_without_fails_the_sample_not_the_process()
    {
        var calls = 0;
        await using var bench = await ScaffoldBench.StartAsync(c =>
            Interlocked.Increment(ref calls) == 2 ? ScriptedReply.Error(400) : ScriptedReply.Text("attempt"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold("type: reasoning-cache\nn_iterations: 3\n"));
        outcome.Sample.Status.Should().Be(SampleStatus.Failed);
        outcome.Sample.Error.Should().NotBeNullOrEmpty();
        outcome.Steps.Should().HaveCount(1);
    }

    [Fact]
    public async Task When_every_branch_fails_the_sample_fails_with_the_reason()
    {
        await using var bench = await ScaffoldBench.StartAsync(_ => ScriptedReply.Error(400));
        var outcome = await bench.SolveAsync(bench.WriteScaffold("type: nomos\nn_solutions_to_generate: 3\n"));
        outcome.Sample.Status.Should().Be(SampleStatus.Failed);
        outcome.Sample.Error.Should().Contain("400");
    }
}
