using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>
/// Parameters of <see cref="RecursiveSelfAggregation"/>; YAML names follow the original harness: <c>n_solutions</c> (N),
/// <c>n_rounds</c> (T), <c>block_size</c> (K), <c>select_pairwise</c> (knockout, else one selector call).
/// </summary>
public sealed record RsaOptions(int Population, int Rounds, int BlockSize, bool SelectPairwise)
{
    public static RsaOptions From(YamlConfig y)
    {
        var options = new RsaOptions(y.Count("n_solutions", 8), y.Count("n_rounds", 3, min: 0), y.Count("block_size", 3), y.Flag("select_pairwise", true));
        if (options.BlockSize > options.Population)
            throw y.Error("block_size", $"must not exceed n_solutions ({options.Population}), got {options.BlockSize}");
        return options;
    }

    /// <summary>N solves, N merges per round, then N − 1 knockout matches (or one selector call).</summary>
    public int Calls => Population + Rounds * Population + (Population <= 1 ? 0 : SelectPairwise ? Population - 1 : 1);
}

/// <summary>
/// Recursive self-aggregation (RSA). A population of N independent solutions; each of T rounds forms N blocks of K
/// candidates (seeded: shuffle the population, draw K distinct offsets, block s takes the candidates at s + offset)
/// and merges each block into one new candidate, giving the next population. The final population is reduced to one
/// by a seeded pairwise knockout (or by one selector call over all candidates).
///
/// Roles: <c>solver</c>, <c>merger</c>, <c>selector</c>.
/// Parsing fallbacks: a selector reply without a valid <c>\boxed{letter}</c>, or with <c>\boxed{equal}</c>, is
/// decided by a seeded draw among the candidates. Failures: failed solves are dropped (the sample fails only when all
/// fail); a failed merge passes its block's first candidate on unchanged; a failed selector call is a seeded draw.
/// Budget: the first candidate of the latest complete population.
/// </summary>
public sealed class RecursiveSelfAggregation(RsaOptions options, PromptLibrary prompts) : IScaffold
{
    public const string Type = "rsa";
    public static readonly IReadOnlyList<string> Roles = ["solver", "merger", "selector"];

    private readonly PromptTemplate _solve = prompts.Get("Scaffolds/Rsa", "solve");
    private readonly PromptTemplate _merge = prompts.Get("Scaffolds/Aggregation", "merge");
    private readonly PromptTemplate _select = prompts.Get("Scaffolds/Aggregation", "select");

    public string Name => Type;
    public IReadOnlyList<PromptTemplate> Prompts => [_solve, _merge, _select];

    public async Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken)
    {
        IReadOnlyList<StepResult> population = [];
        try
        {
            population = await Branches.RunAsync(options.Population, k => context.CallAsync($"solve/{k + 1}", "solver",
                User(_solve.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement })), cancellationToken: cancellationToken),
                BranchFailure.Dropped);

            for (var round = 1; round <= options.Rounds; round++)
            {
                var blocks = SampleBlocks(population.Count, Math.Min(options.BlockSize, population.Count), context.RandomFor($"round-{round}/blocks"));
                var current = population;
                population = await Branches.RunAsync(blocks.Count,
                    b => MergeAsync(problem, context, blocks[b].Select(i => current[i]).ToList(), $"round-{round}/merge-{b + 1}", cancellationToken),
                    BranchFailure.FailsSample);
            }

            var winner = options.SelectPairwise
                ? await KnockoutAsync(problem, context, population, cancellationToken)
                : await SelectAsync(problem, context, population, "final/select", cancellationToken);
            return new SolveResult(winner.Answer, winner.Reasoning, winner.Truncated);
        }
        catch (BudgetExhaustedException)
        {
            var best = new BestProof();
            if (population.Count > 0) best.Replace(population[0].Answer, population[0].Reasoning, population[0].Truncated);
            return best.AtBudget();
        }
    }

    /// <summary>N blocks of K distinct population indices: a seeded permutation read at K seeded offsets from each start.</summary>
    public static IReadOnlyList<int[]> SampleBlocks(int population, int blockSize, Random random)
    {
        var permutation = Enumerable.Range(0, population).Shuffled(random);
        var offsets = Enumerable.Range(0, population).Shuffled(random).Take(blockSize).ToArray();
        return Enumerable.Range(0, population).Select(s => offsets.Select(o => permutation[(s + o) % population]).ToArray()).ToList();
    }

    private async Task<StepResult> MergeAsync(Problem problem, SolverContext context, IReadOnlyList<StepResult> block, string name, CancellationToken ct)
    {
        try
        {
            return await context.CallAsync(name, "merger", User(_merge.Render(new Dictionary<string, string?>
            {
                ["problem"] = problem.Statement, ["candidates"] = Candidates(block),
            })), cancellationToken: ct);
        }
        catch (Exception e) when (e is not (OperationCanceledException or BudgetExhaustedException))
        {
            return block[0];
        }
    }

    private async Task<StepResult> KnockoutAsync(Problem problem, SolverContext context, IReadOnlyList<StepResult> field, CancellationToken ct)
    {
        for (var round = 1; field.Count > 1; round++)
        {
            var current = field;
            var winners = await Branches.RunAsync(current.Count / 2,
                m => SelectAsync(problem, context, [current[2 * m], current[2 * m + 1]], $"final/round-{round}/match-{m + 1}", ct),
                BranchFailure.FailsSample);
            field = (current.Count % 2 == 1 ? [.. winners, current[^1]] : winners).Shuffled(context.RandomFor($"final/round-{round}/order"));
        }
        return field[0];
    }

    private async Task<StepResult> SelectAsync(Problem problem, SolverContext context, IReadOnlyList<StepResult> candidates, string name, CancellationToken ct)
    {
        if (candidates.Count == 1) return candidates[0];
        var choice = Parsed<int?>.Unparsable("the selector call failed");
        try
        {
            var step = await context.CallAsync(name, "selector", User(_select.Render(new Dictionary<string, string?>
            {
                ["problem"] = problem.Statement, ["candidates"] = Candidates(candidates),
            })), cancellationToken: ct);
            choice = CandidateChoice.Parse(step.Answer, candidates.Count);
        }
        catch (Exception e) when (e is not (OperationCanceledException or BudgetExhaustedException)) { }
        return candidates[choice.Or(null) ?? context.RandomFor(name).Next(candidates.Count)];
    }

    internal static string Candidates(IReadOnlyList<StepResult> candidates) =>
        string.Join("\n\n", candidates.Select((c, i) => $"### Candidate {CandidateChoice.Label(i)}\n\n{c.Answer}"));

    private static ChatMessage[] User(string text) => [new(ChatRole.User, text)];
}
