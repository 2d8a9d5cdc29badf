using Qed.Runs;
using Qed.Scaffolds;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

public class NomosTests
{
    private static bool IsScore(string c) => c.Contains("out of 7 points");
    private static bool IsConsolidate(string c) => c.Contains("Group the submissions");
    private static bool IsMatch(string c) => c.Contains("Two submissions to the olympiad problem");
    private static bool IsSolve(string c) => !IsScore(c) && !IsConsolidate(c) && !IsMatch(c);

    /// <summary>Solutions are "solution-k"; the scorer gives points by solution; the consolidation keeps <paramref name="keep"/>;
    /// a match prefers the solution with the higher number.</summary>
    private static Func<string, ScriptedReply> Script(Func<int, int> points, string keep)
    {
        var n = 0;
        return c =>
        {
            if (IsSolve(c)) return ScriptedReply.Text($"solution-{Interlocked.Increment(ref n)}");
            if (IsScore(c)) return ScriptedReply.Text($"Assessment.\n\\boxed{{{points(Number(c, "## Solution"))}}}");
            if (IsConsolidate(c)) return ScriptedReply.Text($"Two groups.\n<keep>{keep}</keep>");
            var first = Number(c, "## Submission 1");
            var second = Number(c, "## Submission 2");
            return ScriptedReply.Text($"Compared.\n<verdict>{(first > second ? 1 : 2)}</verdict>");
        };
    }

    private static int Number(string c, string heading)
    {
        var at = c.IndexOf("solution-", c.IndexOf(heading, StringComparison.Ordinal), StringComparison.Ordinal) + "solution-".Length;
        return int.Parse(new string(c[at..].TakeWhile(char.IsDigit).ToArray()));
    }

    [Fact]
    public async Task Solves_scores_consolidates_once_and_plays_a_knockout_over_the_kept_group()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => 5, "[1, 2, 3]"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(
            "type: nomos\nn_solutions_to_generate: 6\nmax_kept_solutions: 4\ntarget_perfect_scores: 2\n"));

        var options = new NomosOptions(6, 4, 2);
        bench.Server.RequestCount.Should().Be(options.Calls(afterConsolidation: 3)).And.Be(6 + 6 + 1 + 2);
        bench.Count(IsConsolidate).Should().Be(1);
        bench.Count(IsMatch).Should().Be(2);
        var consolidation = bench.Server.Requests.Select(ScaffoldBench.Conversation).Single(IsConsolidate);
        consolidation.Should().Contain("### Submission 4").And.NotContain("### Submission 5"); // top K = 4 kept
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        outcome.Sample.Answer.Should().StartWith("solution-");
    }

    [Fact]
    public async Task Keeps_only_the_perfect_solutions_when_there_are_enough()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(k => k is 2 or 5 ? 7 : 3, "[1, 2]"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(
            "type: nomos\nn_solutions_to_generate: 6\nmax_kept_solutions: 4\ntarget_perfect_scores: 2\n"));

        var consolidation = bench.Server.Requests.Select(ScaffoldBench.Conversation).Single(IsConsolidate);
        consolidation.Should().Contain("### Submission 2").And.NotContain("### Submission 3");
        consolidation.Should().Contain("solution-2").And.Contain("solution-5");
        bench.Server.RequestCount.Should().Be(6 + 6 + 1 + 1);
        outcome.Sample.Answer.Should().Be("solution-5"); // the match prefers the higher number
    }

    [Fact]
    public async Task An_unparsable_keep_list_keeps_every_submission()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(_ => 4, "1 and 2"));
        await bench.SolveAsync(bench.WriteScaffold("type: nomos\nn_solutions_to_generate: 4\nmax_kept_solutions: 4\ntarget_perfect_scores: 1\n"));
        bench.Count(IsMatch).Should().Be(3);
    }

    [Fact]
    public async Task A_budget_hands_in_the_highest_scored_solution()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script(k => k, "[1]"));
        var outcome = await bench.SolveAsync(bench.WriteScaffold(
            "type: nomos\nn_solutions_to_generate: 4\nmax_kept_solutions: 4\ntarget_perfect_scores: 1\nbudget:\n  max_calls: 8\n"));
        bench.Server.RequestCount.Should().Be(8);
        outcome.Sample.Status.Should().Be(SampleStatus.BudgetExhausted);
        outcome.Sample.Answer.Should().Be("solution-4");
    }
}
