using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>Parameters of <see cref="ReasoningCache"/> (YAML: <c>n_iterations</c>).</summary>
public sealed record ReasoningCacheOptions(int Iterations)
{
    public static ReasoningCacheOptions From(YamlConfig y) => new(y.Count("n_iterations", 3));

    /// <summary>Model calls of a full run: a solve per iteration and a summary between consecutive ones.</summary>
    public int Calls => 2 * Iterations - 1;
}

/// <summary>
/// Reasoning cache (RC): the model attempts the problem, a summarizer condenses that attempt (in the light of the
/// previous summary), and the next attempt sees only the problem and that summary — so each turn starts from a short
/// state instead of an ever-growing transcript. The answer is the last attempt's visible proof. Calls: 2n − 1.
///
/// What is summarised is the attempt's reasoning: its thinking when the endpoint returns thinking, else its visible
/// reply. An attempt cut off inside its thinking still has thinking to summarise, so the loop goes on; only the final
/// attempt's truncation makes the sample truncated. Roles: <c>solver</c>, <c>summarizer</c>.
/// Failures: every step feeds the next, so a failed call (after the client's retries) fails the sample.
/// Budget: the latest visible proof is the best so far.
/// </summary>
public sealed class ReasoningCache(ReasoningCacheOptions options, PromptLibrary prompts) : IScaffold
{
    public const string Type = "reasoning-cache";
    public static readonly IReadOnlyList<string> Roles = ["solver", "summarizer"];
    public const string NoSummary = "(none: this is the first attempt)";

    private readonly PromptTemplate _solve = prompts.Get("Scaffolds/ReasoningCache", "solve");
    private readonly PromptTemplate _summarize = prompts.Get("Scaffolds/ReasoningCache", "summarize");

    public string Name => Type;
    public IReadOnlyList<PromptTemplate> Prompts => [_solve, _summarize];

    public async Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken)
    {
        var best = new BestProof();
        try
        {
            var summary = NoSummary;
            StepResult attempt = null!;
            for (var i = 1; i <= options.Iterations; i++)
            {
                attempt = await context.CallAsync($"iteration-{i}/solve", "solver",
                    User(_solve.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement, ["summary"] = summary })),
                    cancellationToken: cancellationToken);
                if (!attempt.Truncated || !best.HasProof) best.Replace(attempt.Answer, attempt.Reasoning, attempt.Truncated);
                if (i == options.Iterations) break;

                var reasoning = string.IsNullOrWhiteSpace(attempt.Reasoning) ? attempt.Answer : attempt.Reasoning;
                var summarized = await context.CallAsync($"iteration-{i}/summarize", "summarizer",
                    User(_summarize.Render(new Dictionary<string, string?>
                    {
                        ["problem"] = problem.Statement, ["summary"] = summary, ["reasoning"] = reasoning,
                    })),
                    cancellationToken: cancellationToken);
                summary = summarized.Answer;
            }
            return new SolveResult(attempt.Answer, attempt.Reasoning, attempt.Truncated);
        }
        catch (BudgetExhaustedException)
        {
            return best.AtBudget();
        }
    }

    private static ChatMessage[] User(string text) => [new(ChatRole.User, text)];
}
