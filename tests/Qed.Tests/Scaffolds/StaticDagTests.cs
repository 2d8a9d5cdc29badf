using Qed.Runs;
using Qed.Scaffolds;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

public class StaticDagTests
{
    private static bool IsPlan(string c) => c.Contains("distinct ways to attack");
    private static bool IsVerify(string c) => c.Contains("Check the solution below step by step");
    private static bool IsImprove(string c) => c.Contains("I checked your solution carefully");
    private static bool IsMerge(string c) => c.Contains("Write one solution that is better");
    private static bool IsSelect(string c) => c.Contains("Decide which one is best overall");
    private static bool IsSolve(string c) => !IsPlan(c) && !IsVerify(c) && !IsImprove(c) && !IsMerge(c) && !IsSelect(c);

    private static Func<string, ScriptedReply> Script(int approaches = 2, Func<string, bool>? slow = null)
    {
        var n = 0;
        return c =>
        {
            if (IsPlan(c)) return ScriptedReply.Text(string.Concat(Enumerable.Range(1, approaches).Select(i => $"<approach>idea {i}</approach>\n")));
            if (IsSelect(c)) return ScriptedReply.Text("\\boxed{B}");
            var reply = ScriptedReply.Text($"text-{Interlocked.Increment(ref n)}");
            return slow?.Invoke(c) == true ? reply with { Delay = TimeSpan.FromMilliseconds(150) } : reply;
        };
    }

    private const string Params = "type: static-dag\nn_approach_solutions: 2\nuse_no_approach: true\nn_no_approach_solutions: 1\n"
        + "n_solutions_per_approach: 2\nn_verifications_per_solution: 1\nmerge_solutions: true\nmax_concurrent_calls: 4\n";

    [Fact]
    public async Task Runs_every_node_of_the_graph_once()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params));

        var expected = new StaticDagOptions(2, true, 1, 2, 1, true, 4).Calls;
        expected.Should().Be(1 + 3 * (2 * 3 + 1) + 1);
        bench.Server.RequestCount.Should().Be(expected);
        bench.Count(IsPlan).Should().Be(1);
        bench.Count(IsMerge).Should().Be(3);
        bench.Count(IsSelect).Should().Be(1);
        var solves = bench.Server.Requests.Select(ScaffoldBench.Conversation).Where(IsSolve).ToList();
        solves.Count(c => c.Contains("idea 1")).Should().Be(2);
        solves.Count(c => c.Contains("idea 2")).Should().Be(2);
        solves.Count(c => !c.Contains("idea")).Should().Be(2);
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        outcome.Steps.Single(s => s.Name == "final/select").Should().NotBeNull();
    }

    [Fact]
    public async Task Select_instead_of_merge_and_missing_approaches_fall_back_to_plain_solves()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(approaches: 1));
        await bench.SolveAsync(bench.WriteScaffold(Params.Replace("merge_solutions: true", "merge_solutions: false")));
        bench.Count(IsMerge).Should().Be(0);
        bench.Count(IsSelect).Should().Be(3 + 1);
        bench.Server.Requests.Select(ScaffoldBench.Conversation).Where(IsSolve).Count(c => !c.Contains("idea")).Should().Be(4);
    }

    [Fact]
    public async Task Parallel_branches_overlap_but_stay_within_max_concurrent_calls()
    {
        var inFlight = 0;
        var peak = 0;
        var gate = new object();
        var script = Script();
        await using var bench = await ScaffoldBench.StartAsync(c =>
        {
            // counted while the handler holds the request; the reply is only sent after the decrement
            var now = Interlocked.Increment(ref inFlight);
            lock (gate) peak = Math.Max(peak, now);
            Thread.Sleep(100);
            Interlocked.Decrement(ref inFlight);
            return script(c);
        });
        await bench.SolveAsync(bench.WriteScaffold(Params.Replace("max_concurrent_calls: 4", "max_concurrent_calls: 3")));
        peak.Should().BeGreaterThan(1).And.BeLessThanOrEqualTo(3);
    }

    [Fact]
    public async Task A_budget_stops_the_graph_and_hands_in_the_most_refined_solution()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params + "budget:\n  max_calls: 10\n"));
        bench.Server.RequestCount.Should().Be(10);
        outcome.Sample.Status.Should().Be(SampleStatus.BudgetExhausted);
        outcome.Sample.Answer.Should().StartWith("text-");
        // Merged beats improved beats fresh: with parallel chains, timing decides how far the graph got within
        // ten calls, so the answer must be the most refined kind of step that exists.
        var merged = outcome.Steps.Where(s => s.Name.EndsWith("/merge")).Select(s => s.Answer).ToList();
        var improved = outcome.Steps.Where(s => s.Name.Contains("/improve-")).Select(s => s.Answer).ToList();
        if (merged.Count > 0) merged.Should().Contain(outcome.Sample.Answer);
        else if (improved.Count > 0) improved.Should().Contain(outcome.Sample.Answer);
    }
}
