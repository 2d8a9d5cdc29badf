using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;

namespace Qed.Solvers;

/// <summary>The plain solver: one prompt, one call, the reply's answer is the proof.</summary>
public sealed class SingleCallSolver(PromptTemplate prompt) : ISolver
{
    public const string Kind = "single";
    public string Name => Kind;

    public static SingleCallSolver For(GradingMode mode, PromptLibrary prompts) =>
        new(prompts.Get("Solvers", mode == GradingMode.Answer ? "answer" : "proof"));

    public PromptTemplate Prompt => prompt;
    public string PromptsHash => prompt.ContentHash();

    public async Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken)
    {
        var text = prompt.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement });
        var step = await context.CallAsync("generate", "solver", [new ChatMessage(ChatRole.User, text)], null, cancellationToken);
        return new SolveResult(step.Answer, step.Reasoning, step.Truncated);
    }
}
