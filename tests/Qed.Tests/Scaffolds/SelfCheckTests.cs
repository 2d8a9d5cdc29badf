using Qed.Runs;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

public class SelfCheckTests
{
    private static bool IsVerify(string c) => c.Contains("Grade this solution as instructed");
    private static bool IsClassify(string c) => c.Contains("Answer with the single word");
    private static bool IsCorrect(string c) => c.Contains("A grader checked your solution");
    private static bool IsImprove(string c) => c.Contains("Take this chance to improve");

    private const string Params = "type: self-check\ncorrect_count: 2\nerror_count: 3\nmax_iterations: 10\n";

    private static Func<string, ScriptedReply> Script(Func<int, bool> passes)
    {
        var verdicts = 0;
        var solutions = 0;
        return c =>
        {
            if (IsVerify(c)) return ScriptedReply.Text("Summary: findings.\nDetailed Verification Log\nLOG-DETAIL");
            if (IsClassify(c)) return ScriptedReply.Text(passes(Interlocked.Increment(ref verdicts)) ? "yes" : "no");
            return ScriptedReply.Text($"1. Summary\nsketch\n2. Detailed Solution\nsolution-{Interlocked.Increment(ref solutions)}");
        };
    }

    [Fact]
    public async Task Stops_after_c_consecutive_passes()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => true));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params));
        bench.Server.RequestCount.Should().Be(2 + 2 * 2);
        bench.Count(IsImprove).Should().Be(1);
        outcome.Sample.Answer.Should().Contain("solution-2");
        // the verifier sees only the detailed solution
        bench.Server.Requests.Select(ScaffoldBench.Conversation).First(IsVerify).Should().NotContain("sketch");
    }

    [Fact]
    public async Task Gives_up_after_e_consecutive_failures_correcting_each_time()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => false));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params));
        bench.Server.RequestCount.Should().Be(2 + 3 * 3);
        bench.Count(IsCorrect).Should().Be(3);
        var correction = bench.Server.Requests.Select(ScaffoldBench.Conversation).First(IsCorrect);
        correction.Should().Contain("Summary: findings.").And.NotContain("LOG-DETAIL"); // the bug report is the summary part
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        outcome.Sample.Answer.Should().Contain("solution-5"); // return_if_not_found: the last correction
    }

    [Fact]
    public async Task A_failure_resets_the_pass_streak_and_max_iterations_bounds_the_loop()
    {
        // pass, fail, pass, fail, ... never two passes in a row, never three failures in a row
        await using var bench = await ScaffoldBench.StartAsync(Script(k => k % 2 == 1));
        await bench.SolveAsync(bench.WriteScaffold("type: self-check\ncorrect_count: 2\nerror_count: 3\nmax_iterations: 6\n"));
        bench.Server.RequestCount.Should().Be(2 + 6 * 2 + 3);
    }

    [Fact]
    public async Task An_unparsable_classification_counts_as_a_failure()
    {
        await using var bench = await ScaffoldBench.StartAsync(c => IsClassify(c) ? ScriptedReply.Text("It depends.") : ScriptedReply.Text("x"));
        await bench.SolveAsync(bench.WriteScaffold(Params));
        bench.Count(IsCorrect).Should().Be(3);
    }

    [Fact]
    public async Task Without_return_if_not_found_an_unaccepted_solution_is_not_handed_in()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => false));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params + "return_if_not_found: false\n"));
        outcome.Sample.Answer.Should().BeEmpty();
    }

    [Fact]
    public async Task A_budget_hands_in_the_current_solution()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => false));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(Params + "budget:\n  max_calls: 5\n"));
        bench.Server.RequestCount.Should().Be(5); // generate, improve, verify, classify, correct
        outcome.Sample.Status.Should().Be(SampleStatus.BudgetExhausted);
        outcome.Sample.Answer.Should().Contain("solution-3");
    }
}
