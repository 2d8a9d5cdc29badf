using System.Diagnostics;
using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Runs;

/// <summary>What to run: every problem × run index, solved by one solver over the given models.</summary>
public sealed record EvalPlan(
    Benchmark Benchmark,
    IReadOnlyList<Problem> Problems,
    int Runs,
    ISolver Solver,
    ModelClient Model,
    IReadOnlyDictionary<string, ModelClient> Roles,
    SolverBudget Budget,
    ScaffoldConfig? Scaffold,
    GlobalRequestLimit? GlobalLimit = null,
    string? PromptsHash = null,
    string Protocol = "qed")
{
    /// <summary>Content hash of what determines the outputs: model configs, scaffold config, prompt texts, and the protocol when it is not ours.</summary>
    public string RunId => Protocol == "qed"
        ? Hashing.Sha256Hex("run", Model.ConfigHash, Scaffold?.ContentHash(), Solver.Name, PromptsHash ?? Solver.PromptsHash,
            string.Join(",", Roles.OrderBy(r => r.Key).Select(r => r.Key + "=" + r.Value.ConfigHash)))
        : Hashing.Sha256Hex("run", Model.ConfigHash, Scaffold?.ContentHash(), Solver.Name, PromptsHash ?? Solver.PromptsHash,
            string.Join(",", Roles.OrderBy(r => r.Key).Select(r => r.Key + "=" + r.Value.ConfigHash)), "protocol:" + Protocol);

    public static string SampleId(string runId, Problem problem, int runIndex) =>
        Hashing.Sha256Hex("sample", runId, problem.Id, problem.Statement, runIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>A snapshot for the progress display.</summary>
public sealed record RunProgress(int Total, int Done, int Failed, long OutputTokens, double CostUsd, string? LastError);

public sealed record RunOutcome(int Total, int Solved, int Skipped, int Failed, bool StoppedByCostLimit, string? StopReason);

/// <summary>
/// Solves every pending sample of a plan with bounded concurrency and records each in the run store.
/// Finished samples (ok, truncated, budget_exhausted) are never requested again; failed ones are retried.
/// Cancellation leaves in-flight samples pending; <c>maxCostUsd</c> stops starting new samples once the
/// store's recorded spending reaches it; an unreachable endpoint stops the run with its URL.
/// </summary>
public sealed class EvalRunner(RunStore store)
{
    public async Task<RunOutcome> RunAsync(EvalPlan plan, int concurrency, double? maxCostUsd, IProgress<RunProgress>? progress,
        CancellationToken cancellationToken)
    {
        var runId = plan.RunId;
        await store.EnsureRunAsync(new RunInfo(runId, plan.Benchmark.Name, plan.Benchmark.Mode.ToString(), plan.Model.Config.Name,
            ConfigJson(plan.Model.Config), plan.Scaffold?.Name, plan.Scaffold is null ? null : CanonicalJson.Write(plan.Scaffold.Settings.Root),
            plan.PromptsHash ?? plan.Solver.PromptsHash, DateTimeOffset.UtcNow), cancellationToken);

        var stored = (await store.ListSamplesAsync(runId, cancellationToken)).ToDictionary(s => s.SampleId, s => s.Status);
        var work = new List<(Problem Problem, int RunIndex, string SampleId)>();
        var adding = new List<Task>();
        var skipped = 0;
        foreach (var problem in plan.Problems)
            for (var k = 0; k < plan.Runs; k++)
            {
                var id = EvalPlan.SampleId(runId, problem, k);
                if (!stored.TryGetValue(id, out var status)) adding.Add(store.AddSampleAsync(id, runId, problem, k, cancellationToken));
                if (status.IsFinished()) skipped++;
                else work.Add((problem, k, id));
            }
        await Task.WhenAll(adding);

        var spentBefore = await store.TotalCostAsync(cancellationToken);
        int done = skipped, failed = 0, solved = 0;
        long outputTokens = 0;
        double cost = 0;
        string? lastError = null, stopReason = null;
        var stopByCost = false;
        var gate = new object();
        using var stopScheduling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void Report() => progress?.Report(new RunProgress(work.Count + skipped, done, failed, outputTokens, spentBefore + cost, lastError));
        Report();

        try
        {
            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = stopScheduling.Token },
                async (item, _) =>
                {
                    if (maxCostUsd is { } cap && spentBefore + Volatile.Read(ref cost) >= cap)
                    {
                        lock (gate) { stopByCost = true; stopReason = $"--max-cost {cap} reached"; }
                        stopScheduling.Cancel();
                        return;
                    }
                    var result = await SolveOneAsync(plan, runId, item.Problem, item.RunIndex, item.SampleId, abort.Token);
                    lock (gate)
                    {
                        if (result.Status is null) return; // cancelled: left pending
                        done++;
                        if (result.Status == SampleStatus.Failed) { failed++; lastError = result.Error; }
                        else solved++;
                        outputTokens += result.Usage.OutputTokens;
                        cost += result.Usage.CostUsd;
                        if (result.Unreachable is not null && stopReason is null)
                        {
                            stopReason = result.Unreachable;
                            abort.Cancel();
                            stopScheduling.Cancel();
                        }
                    }
                    Report();
                });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // stopped by --max-cost or an unreachable endpoint; the store is consistent
        }
        Report();
        cancellationToken.ThrowIfCancellationRequested();
        if (stopReason is not null && !stopByCost) throw new QedException(stopReason + "; rerun the same command to resume");
        return new RunOutcome(work.Count + skipped, solved, skipped, failed, stopByCost, stopReason);
    }

    private sealed record OneResult(SampleStatus? Status, UsageTotals Usage, string? Error, string? Unreachable);

    private async Task<OneResult> SolveOneAsync(EvalPlan plan, string runId, Problem problem, int runIndex, string sampleId, CancellationToken ct)
    {
        var context = new SolverContext(store, runId, sampleId, problem, runIndex, plan.Model, plan.Roles, plan.Budget, plan.GlobalLimit);
        var clock = Stopwatch.StartNew();
        SampleStatus status;
        string? answer = null, reasoning = null, error = null, unreachable = null;
        try
        {
            var result = await plan.Solver.SolveAsync(problem, context, ct);
            answer = result.Answer;
            reasoning = result.Reasoning;
            status = result.BudgetExhausted ? SampleStatus.BudgetExhausted
                : result.Truncated ? SampleStatus.Truncated : SampleStatus.Ok;
        }
        catch (BudgetExhaustedException e)
        {
            status = SampleStatus.BudgetExhausted;
            error = e.Message;
        }
        catch (ChatEndpointException e) when (!ct.IsCancellationRequested)
        {
            status = SampleStatus.Failed;
            error = $"{e.Failure}: {e.Message}";
            if (e.Failure == EndpointFailure.ConnectionFailed) unreachable = $"cannot reach {e.Endpoint}: {e.Message}";
            if (e.Failure == EndpointFailure.Unauthorized) unreachable = $"the endpoint refused the API key: {e.Message}";
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return new OneResult(null, context.Usage, null, null);
        }
        catch (Exception e)
        {
            // Any other fault of one sample (a scaffold step its algorithm cannot do without) fails that sample, not the run.
            status = SampleStatus.Failed;
            error = $"{e.GetType().Name}: {e.Message}";
        }
        await store.CompleteSampleAsync(sampleId, status, answer, reasoning, error, context.Usage, clock.Elapsed.TotalSeconds, CancellationToken.None);
        return new OneResult(status, context.Usage, error, unreachable);
    }

    /// <summary>The model config as stored: what identifies it plus its name, never its key.</summary>
    public static string ConfigJson(ModelConfig c) => new JsonObject
    {
        ["name"] = c.Name,
        ["model"] = c.Model,
        ["api"] = c.Api,
        ["max_tokens"] = c.MaxTokens,
        ["temperature"] = c.Temperature,
        ["top_p"] = c.TopP,
        ["top_k"] = c.TopK,
        ["reasoning_effort"] = c.ReasoningEffort,
        ["read_cost"] = c.ReadCost,
        ["write_cost"] = c.WriteCost,
        ["content_hash"] = c.ContentHash(),
    }.ToJsonString();
}
