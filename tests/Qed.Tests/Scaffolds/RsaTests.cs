using Qed.Runs;
using Qed.Scaffolds;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

public class RsaTests
{
    private static bool IsMerge(string c) => c.Contains("Write one solution that is better");
    private static bool IsSelect(string c) => c.Contains("Decide which one is best overall");
    private static bool IsSolve(string c) => !IsMerge(c) && !IsSelect(c);

    private static Func<string, ScriptedReply> Script(string choice = "A")
    {
        var n = 0;
        return c => IsSelect(c) ? ScriptedReply.Text($"B is weaker.\n\\boxed{{{choice}}}")
            : ScriptedReply.Text($"candidate-{Interlocked.Increment(ref n)}");
    }

    [Theory]
    [InlineData(true, 4 + 2 * 4 + 3)]
    [InlineData(false, 4 + 2 * 4 + 1)]
    public async Task Makes_the_algorithms_number_of_calls(bool pairwise, int expected)
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        var outcome = await bench.SolveAsync(bench.WriteScaffold(
            $"type: rsa\nn_solutions: 4\nn_rounds: 2\nblock_size: 2\nselect_pairwise: {pairwise.ToString().ToLowerInvariant()}\n"));

        new RsaOptions(4, 2, 2, pairwise).Calls.Should().Be(expected);
        bench.Server.RequestCount.Should().Be(expected);
        bench.Count(IsMerge).Should().Be(8);
        bench.Server.Requests.Select(ScaffoldBench.Conversation).Where(IsMerge)
            .Should().OnlyContain(c => c.Contains("### Candidate A") && c.Contains("### Candidate B") && !c.Contains("### Candidate C"));
        outcome.Sample.Status.Should().Be(SampleStatus.Ok);
        outcome.Sample.Answer.Should().MatchRegex("^candidate-(9|1[0-2])$"); // a member of the last population
    }

    [Fact]
    public void Blocks_are_seeded_and_each_holds_distinct_candidates()
    {
        var a = RecursiveSelfAggregation.SampleBlocks(8, 3, new Random(42));
        var b = RecursiveSelfAggregation.SampleBlocks(8, 3, new Random(42));
        a.Should().HaveCount(8);
        a.Should().OnlyContain(block => block.Length == 3 && block.Distinct().Count() == 3 && block.All(i => i >= 0 && i < 8));
        a.SelectMany(x => x).GroupBy(i => i).Should().OnlyContain(g => g.Count() == 3); // every candidate used K times
        a.Zip(b).Should().OnlyContain(p => p.First.SequenceEqual(p.Second));
    }

    [Fact]
    public async Task A_budget_hands_in_a_candidate_of_the_latest_population()
    {
        await using var bench = await ScaffoldBench.StartAsync(Script());
        var outcome = await bench.SolveAsync(bench.WriteScaffold("type: rsa\nn_solutions: 4\nn_rounds: 3\nblock_size: 2\nbudget:\n  max_calls: 10\n"));
        bench.Server.RequestCount.Should().Be(10);
        outcome.Sample.Status.Should().Be(SampleStatus.BudgetExhausted);
        outcome.Sample.Answer.Should().MatchRegex("^candidate-[5-8]$");
    }

    [Fact]
    public void A_block_larger_than_the_population_is_a_config_error()
    {
        var act = () => RsaOptions.From(Qed.Llm.YamlConfig.Parse("rsa.yaml", "type: rsa\nn_solutions: 2\nblock_size: 3\n"));
        act.Should().Throw<QedException>().WithMessage("rsa.yaml:3: field 'block_size'*");
    }
}
