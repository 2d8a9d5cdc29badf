using System.Runtime.ExceptionServices;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>What a scaffold does when one of its parallel branches fails after the client's own retries.</summary>
public enum BranchFailure
{
    /// <summary>The algorithm cannot go on without every branch: the first failure ends the sample as failed.</summary>
    FailsSample,
    /// <summary>The algorithm goes on with the branches that succeeded (e.g. one verifier of four failing); only
    /// when every branch failed does the sample fail.</summary>
    Dropped,
}

/// <summary>
/// Runs a scaffold's independent branches concurrently. There is no local fan-out limit here: every request goes
/// through the chat pipeline's global in-flight cap, shared by all problems and all branches, so a scaffold can
/// start as many branches as its algorithm has without flooding an endpoint.
/// </summary>
public static class Branches
{
    /// <summary>
    /// Starts <paramref name="count"/> branches and waits for all of them. Returns the successful results in branch
    /// order. Cancellation always propagates; a spent budget in any branch is rethrown once every branch has ended
    /// (the finished ones are already in the run store and in the scaffold's best-so-far). When the sample cannot go on
    /// (every branch failed, or any did under <see cref="BranchFailure.FailsSample"/>) the first failure is rethrown as is.
    /// </summary>
    public static async Task<IReadOnlyList<T>> RunAsync<T>(int count, Func<int, Task<T>> branch, BranchFailure onFailure)
    {
        var tasks = new Task<T>[count];
        for (var i = 0; i < count; i++)
        {
            var index = i;
            tasks[i] = Task.Run(() => branch(index));
        }
        try { await Task.WhenAll(tasks).ConfigureAwait(false); }
        catch { /* inspected below, task by task */ }

        var results = new List<T>(count);
        Exception? firstFailure = null;
        BudgetExhaustedException? budget = null;
        foreach (var t in tasks)
        {
            if (t.IsCompletedSuccessfully) { results.Add(t.Result); continue; }
            var e = t.Exception?.InnerException;
            if (t.IsCanceled || e is OperationCanceledException) throw e ?? new OperationCanceledException();
            if (e is BudgetExhaustedException b) budget ??= b;
            else firstFailure ??= e;
        }
        if (budget is not null) throw budget;
        // The first failure itself (e.g. a typed endpoint failure) goes to the runner, which records the sample as failed.
        if (firstFailure is not null && (onFailure == BranchFailure.FailsSample || results.Count == 0))
            ExceptionDispatchInfo.Capture(firstFailure).Throw();
        return results;
    }
}
