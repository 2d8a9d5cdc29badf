using Qed.Benchmarks;

namespace Qed.Solvers;

/// <summary>
/// Solves one problem for one sample. A solver makes every model call through
/// <see cref="SolverContext.CallAsync"/>, which records it and makes the solver resumable step by step;
/// it must not keep state between samples (one instance serves many samples concurrently).
/// </summary>
public interface ISolver
{
    string Name { get; }

    /// <summary>Content hash of the prompt texts (and fixed settings) the solver uses; part of the run identity,
    /// so editing a prompt starts a new run instead of mixing old and new replies.</summary>
    string PromptsHash => "";

    Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken);
}

/// <summary>The final text a solver hands in.</summary>
/// <param name="Answer">the proof or answer the grader sees (thinking excluded).</param>
/// <param name="Truncated">the final text was cut by a token limit (e.g. thinking never closed).</param>
/// <param name="BudgetExhausted">a scaffold stopped at its budget and handed in its best proof so far; the runner
/// records the sample as <c>budget_exhausted</c> with this answer.</param>
public sealed record SolveResult(string Answer, string? Reasoning = null, bool Truncated = false, bool BudgetExhausted = false);

/// <summary>Limits on one sample; exceeding one ends the sample as <c>budget_exhausted</c>.</summary>
public sealed record SolverBudget(int? MaxCalls = null, long? MaxOutputTokens = null, double? MaxCostUsd = null)
{
    public static SolverBudget None { get; } = new();
}

/// <summary>Thrown by <see cref="SolverContext.CallAsync"/> when a budget is spent; the runner records <c>budget_exhausted</c>.</summary>
public sealed class BudgetExhaustedException(string message) : Exception(message);
