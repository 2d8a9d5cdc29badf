using Qed.Benchmarks;
using Qed.Llm;
using Qed.Scaffolds;
using Qed.Solvers;

namespace Qed.Protocols;

/// <summary>
/// The original harness's way of posing a problem: the run prompt is formatted around the statement first, and whatever
/// solves it — one call or a scaffold — gets that wrapped text as its problem. The stored problem stays the plain
/// statement (grading and identities use it).
/// </summary>
public sealed class ProtocolSolver(ISolver inner, PromptTemplate runPrompt) : ISolver
{
    /// <summary>The plain single call under the original's rules: the wrapped statement is the whole user message.</summary>
    public static readonly PromptTemplate WholeStatement = new("qed-nano/statement", "{{problem}}");

    public string Name => inner.Name;
    public string PromptsHash => Hashing.Sha256Hex("protocol-run", runPrompt.ContentHash(), inner.PromptsHash);

    public Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken) =>
        inner.SolveAsync(problem with { Statement = Wrap(runPrompt, problem.Statement) }, context, cancellationToken);

    public static string Wrap(PromptTemplate runPrompt, string statement) =>
        runPrompt.Render(new Dictionary<string, string?> { ["problem_statement"] = statement, ["problem"] = statement });

    /// <summary>
    /// A resolved <c>--scaffold</c> under <paramref name="protocol"/>: unchanged for ours; under the original's rules the
    /// solver is wrapped (a plain single call becomes the run prompt alone) and the prompts hash covers the run prompt.
    /// </summary>
    public static ResolvedScaffold Apply(Protocol protocol, ResolvedScaffold resolved, GradingMode mode)
    {
        if (protocol.Original is not { } original) return resolved;
        var inner = resolved.Solver is SingleCallSolver ? new SingleCallSolver(WholeStatement) : resolved.Solver;
        var wrapped = new ProtocolSolver(inner, original.Run(mode));
        return resolved with { Solver = wrapped, PromptsHash = wrapped.PromptsHash };
    }
}
