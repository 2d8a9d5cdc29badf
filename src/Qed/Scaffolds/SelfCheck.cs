using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>
/// Parameters of <see cref="SelfCheck"/>; YAML names follow the original harness: <c>correct_count</c> (C consecutive
/// passes to accept), <c>error_count</c> (E consecutive failures to give up), <c>max_iterations</c> (M),
/// <c>return_if_not_found</c> (hand in the last solution when no solution was accepted, else an empty answer).
/// </summary>
public sealed record SelfCheckOptions(int Passes, int Failures, int MaxIterations, bool ReturnIfNotFound)
{
    public static SelfCheckOptions From(YamlConfig y) => new(
        y.Count("correct_count", 5), y.Count("error_count", 10), y.Count("max_iterations", 30), y.Flag("return_if_not_found", true));
}

/// <summary>
/// Self-check loop (generate → self-improve → verify/classify/correct). The model writes a solution and improves it
/// once in the same conversation. Then, each iteration, a verifier writes a report on the current solution, a
/// classifier reads the report and answers yes (no critical error or major gap) or no; on "no" the solver corrects the
/// solution given the report's findings. It stops after C consecutive passes (accepted), E consecutive failures
/// (given up) or M iterations. Calls: 2 + 2 per iteration + 1 per failed iteration.
///
/// Roles: <c>solver</c> (generate, self-improve), <c>verifier</c>, <c>classifier</c>, <c>improver</c> (corrections).
/// Parsing fallbacks: the verifier sees the solution after its "Detailed Solution" heading, or all of it without one;
/// the bug report is the verification before its "Detailed Verification" heading, or all of it; an unparsable
/// classification counts as "no" (nothing vouched for the solution).
/// Failures: a failed self-improvement keeps the first solution; a failed correction keeps the current solution;
/// a failed generation, verification or classification fails the sample (the loop has nothing to go on).
/// Budget: the current solution.
/// </summary>
public sealed class SelfCheck(SelfCheckOptions options, PromptLibrary prompts) : IScaffold
{
    public const string Type = "self-check";
    public static readonly IReadOnlyList<string> Roles = ["solver", "verifier", "classifier", "improver"];

    private readonly PromptTemplate _system = prompts.Get("Scaffolds/SelfCheck", "system");
    private readonly PromptTemplate _improve = prompts.Get("Scaffolds/SelfCheck", "improve");
    private readonly PromptTemplate _verifySystem = prompts.Get("Scaffolds/SelfCheck", "verify-system");
    private readonly PromptTemplate _verify = prompts.Get("Scaffolds/SelfCheck", "verify");
    private readonly PromptTemplate _classify = prompts.Get("Scaffolds/SelfCheck", "classify");
    private readonly PromptTemplate _correct = prompts.Get("Scaffolds/SelfCheck", "correct");

    public string Name => Type;
    public IReadOnlyList<PromptTemplate> Prompts => [_system, _improve, _verifySystem, _verify, _classify, _correct];

    public async Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken)
    {
        var best = new BestProof();
        try
        {
            var solution = await context.CallAsync("generate", "solver", Conversation(problem), cancellationToken: cancellationToken);
            best.Replace(solution.Answer, solution.Reasoning, solution.Truncated);
            solution = await OrKeep(solution, () => context.CallAsync("self-improve", "solver",
                Conversation(problem, (solution.Answer, _improve.Render(NoValues))), cancellationToken: cancellationToken));
            best.Replace(solution.Answer, solution.Reasoning, solution.Truncated);

            int passes = 0, failures = 0;
            for (var i = 1; i <= options.MaxIterations; i++)
            {
                var verification = await context.CallAsync($"iteration-{i}/verify", "verifier",
                [
                    new(ChatRole.System, _verifySystem.Render(NoValues)),
                    new(ChatRole.User, _verify.Render(new Dictionary<string, string?>
                    {
                        ["problem"] = problem.Statement,
                        ["solution"] = MarkedSection.After(solution.Answer, "Detailed Solution").Or(solution.Answer),
                    })),
                ], cancellationToken: cancellationToken);
                var verdict = await context.CallAsync($"iteration-{i}/classify", "classifier",
                    [new(ChatRole.User, _classify.Render(new Dictionary<string, string?> { ["verification"] = verification.Answer }))],
                    cancellationToken: cancellationToken);

                if (YesNo.Parse(verdict.Answer).Or(false))
                {
                    passes++;
                    failures = 0;
                }
                else
                {
                    passes = 0;
                    failures++;
                    var bugReport = MarkedSection.Before(verification.Answer, "Detailed Verification").Or(verification.Answer);
                    var current = solution;
                    solution = await OrKeep(solution, () => context.CallAsync($"iteration-{i}/correct", "improver",
                        Conversation(problem, (current.Answer, _correct.Render(new Dictionary<string, string?> { ["bug_report"] = bugReport }))),
                        cancellationToken: cancellationToken));
                    best.Replace(solution.Answer, solution.Reasoning, solution.Truncated);
                }

                if (passes >= options.Passes) return Accepted(solution);
                if (failures >= options.Failures) break;
            }
            return options.ReturnIfNotFound ? Accepted(solution) : new SolveResult("", solution.Reasoning);
        }
        catch (BudgetExhaustedException)
        {
            return best.AtBudget();
        }
    }

    /// <summary>The solver's conversation: system rules, the problem, and optionally its previous answer plus a follow-up.</summary>
    private ChatMessage[] Conversation(Problem problem, (string Previous, string FollowUp)? turn = null) => turn is { } t
        ? [new(ChatRole.System, _system.Render(NoValues)), new(ChatRole.User, problem.Statement),
           new(ChatRole.Assistant, t.Previous), new(ChatRole.User, t.FollowUp)]
        : [new(ChatRole.System, _system.Render(NoValues)), new(ChatRole.User, problem.Statement)];

    private static async Task<StepResult> OrKeep(StepResult current, Func<Task<StepResult>> call)
    {
        try { return await call(); }
        catch (Exception e) when (e is not (OperationCanceledException or BudgetExhaustedException)) { return current; }
    }

    private static SolveResult Accepted(StepResult s) => new(s.Answer, s.Reasoning, s.Truncated);

    private static readonly IReadOnlyDictionary<string, string?> NoValues = new Dictionary<string, string?>();
}
