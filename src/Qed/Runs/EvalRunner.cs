using System.Diagnostics;
using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Runs;

/// <summary>Problems read on demand: <paramref name="Count"/> of them, in order, each time <paramref name="Open"/> is called.</summary>
public sealed record ProblemStream(int Count, Func<CancellationToken, IAsyncEnumerable<Problem>> Open);

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
    string Protocol = RunInfo.DefaultProtocol)
{
    /// <summary>Content hash of what determines the outputs: model configs, scaffold config, prompt texts, protocol.
    /// The default protocol is left out of the hash so run ids made before protocols existed stay the same.</summary>
    public string RunId => Protocol == RunInfo.DefaultProtocol
        ? Hashing.Sha256Hex("run", Model.ConfigHash, Scaffold?.ContentHash(), Solver.Name, PromptsHash ?? Solver.PromptsHash, RolesKey)
        : Hashing.Sha256Hex("run", Model.ConfigHash, Scaffold?.ContentHash(), Solver.Name, PromptsHash ?? Solver.PromptsHash, RolesKey, "protocol", Protocol);

    private string RolesKey => string.Join(",", Roles.OrderBy(r => r.Key).Select(r => r.Key + "=" + r.Value.ConfigHash));

    /// <summary>The problems read from their file while the run goes on (set for inputs too large to hold); when set,
    /// it replaces <see cref="Problems"/>.</summary>
    public ProblemStream? Stream { get; init; }

    /// <summary>The configured keys; any error text is masked with them before it is stored (endpoint errors
    /// already are, by the pipeline; this covers a scaffold's own faults).</summary>
    public SecretRedactor? Secrets { get; init; }

    /// <summary>How many problems the run covers.</summary>
    public int ProblemCount => Stream?.Count ?? Problems.Count;

    public static string SampleId(string runId, Problem problem, int runIndex) =>
        Hashing.Sha256Hex("sample", runId, problem.Id, problem.Statement, runIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>A snapshot for the progress display.</summary>
public sealed record RunProgress(int Total, int Done, int Failed, long OutputTokens, double CostUsd, string? LastError);

public sealed record RunOutcome(int Total, int Solved, int Skipped, int Failed, bool StoppedByCostLimit, string? StopReason);

/// <summary>
/// Solves every pending sample of a plan with bounded concurrency and records each in the run store.
/// Finished samples (ok, truncated, budget_exhausted) are never requested again; failed ones are retried.
/// Problems are streamed: samples are created in batches while earlier ones are already being solved, so memory
/// is bounded by the work in flight, not the input. Each sample is claimed in the store before it is requested
/// (<see cref="WorkClaims"/>): several processes on one store share the work and send each request once; a
/// sample another process holds is waited for at the end and counted as it finished there.
/// Cancellation leaves in-flight samples pending; <c>maxCostUsd</c> stops starting new samples once the
/// store's recorded spending reaches it; an unreachable endpoint, a refused key or an HTTP 404 (a wrong
/// <c>base_url</c> or model) stops the run with the URL.
/// </summary>
public sealed class EvalRunner(RunStore store)
{
    /// <summary>Samples created (and looked up) per store transaction.</summary>
    public int BatchSize { get; init; } = 256;

    private sealed record WorkItem(Problem Problem, int RunIndex, string SampleId);

    public async Task<RunOutcome> RunAsync(EvalPlan plan, int concurrency, double? maxCostUsd, IProgress<RunProgress>? progress,
        CancellationToken cancellationToken)
    {
        var runId = plan.RunId;
        await store.EnsureRunAsync(new RunInfo(runId, plan.Benchmark.Name, plan.Benchmark.Mode.ToString(), plan.Model.Config.Name,
            ConfigJson(plan.Model.Config), plan.Scaffold?.Name, plan.Scaffold is null ? null : CanonicalJson.Write(plan.Scaffold.Settings.Root),
            plan.PromptsHash ?? plan.Solver.PromptsHash, DateTimeOffset.UtcNow, plan.Protocol), cancellationToken);

        var started = DateTimeOffset.UtcNow;
        var total = plan.ProblemCount * plan.Runs;
        var spentBefore = await store.TotalCostAsync(cancellationToken);
        int done = 0, failed = 0, solved = 0, skipped = 0;
        long outputTokens = 0;
        double cost = 0;
        string? lastError = null, stopReason = null;
        var stopByCost = false;
        var gate = new object();
        var deferred = new System.Collections.Concurrent.ConcurrentQueue<WorkItem>();
        using var stopScheduling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void Report() => progress?.Report(new RunProgress(total, done, failed, outputTokens, spentBefore + cost, lastError));

        void CountElsewhere(SampleStatus status)
        {
            lock (gate)
            {
                done++;
                if (status == SampleStatus.Failed) failed++;
                else skipped++;
            }
            Report();
        }

        async Task WorkAsync(WorkItem item, WorkClaim claim)
        {
            await using (claim)
            {
                var current = await store.GetSampleAsync(item.SampleId, abort.Token);
                if (current is not null && current.Status.IsFinished()) { CountElsewhere(current.Status); return; }
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
            }
        }

        Report();
        var queue = System.Threading.Channels.Channel.CreateBounded<WorkItem>(new System.Threading.Channels.BoundedChannelOptions(Math.Max(BatchSize, 2 * Math.Max(1, concurrency)))
        {
            SingleWriter = true,
        });
        var producer = ProduceAsync(plan, runId, queue.Writer, status => CountElsewhere(status), stopScheduling.Token);
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, concurrency), CancellationToken = stopScheduling.Token };
            await Parallel.ForEachAsync(queue.Reader.ReadAllAsync(stopScheduling.Token), options, async (item, _) =>
            {
                var claim = await store.Claims.TryClaimAsync("sample:" + item.SampleId, abort.Token);
                if (claim is null) { deferred.Enqueue(item); return; } // another process has it: look again at the end
                await WorkAsync(item, claim);
            });
            await producer;

            // What other processes held: wait for them to finish it (or to give it up, then do it here).
            await Parallel.ForEachAsync(deferred, options, async (item, _) =>
            {
                var claim = await store.Claims.ClaimWhenFreeAsync("sample:" + item.SampleId,
                    async ct => await store.GetSampleAsync(item.SampleId, ct) is { } s
                        && (s.Status.IsFinished() || s.Status == SampleStatus.Failed && s.UpdatedAt >= started), abort.Token);
                if (claim is not null) await WorkAsync(item, claim);
                else CountElsewhere((await store.GetSampleAsync(item.SampleId, abort.Token))!.Status);
            });
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // stopped by --max-cost or an unreachable endpoint; the store is consistent
        }
        finally
        {
            stopScheduling.Cancel(); // the producer stops too when the workers stopped early
            try { await producer; }
            catch (OperationCanceledException) { }
        }
        Report();
        cancellationToken.ThrowIfCancellationRequested();
        if (stopReason is not null && !stopByCost) throw new QedException(stopReason + "; rerun the same command to resume");
        return new RunOutcome(total, solved, skipped, failed, stopByCost, stopReason);
    }

    /// <summary>
    /// Reads the problems in order, creates their samples a batch at a time and queues the unfinished ones; the
    /// bounded queue holds the reader back while the workers are busy.
    /// </summary>
    private async Task ProduceAsync(EvalPlan plan, string runId, System.Threading.Channels.ChannelWriter<WorkItem> queue,
        Action<SampleStatus> alreadyFinished, CancellationToken ct)
    {
        var batch = new List<WorkItem>(BatchSize);
        try
        {
            var problems = plan.Stream is { } stream ? stream.Open(ct) : ToAsync(plan.Problems);
            await foreach (var problem in problems.WithCancellation(ct))
            {
                for (var k = 0; k < plan.Runs; k++)
                {
                    batch.Add(new WorkItem(problem, k, EvalPlan.SampleId(runId, problem, k)));
                    if (batch.Count >= BatchSize) await FlushAsync();
                }
            }
            await FlushAsync();
            queue.TryComplete();
        }
        catch (Exception e)
        {
            queue.TryComplete(e);
            throw;
        }

        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            var statuses = await store.SampleStatusesAsync(batch.Select(w => w.SampleId).ToList(), ct);
            await store.AddSamplesAsync(batch.Where(w => !statuses.ContainsKey(w.SampleId))
                .Select(w => (w.SampleId, runId, w.Problem, w.RunIndex)).ToList(), ct);
            foreach (var w in batch)
            {
                if (statuses.TryGetValue(w.SampleId, out var status) && status.IsFinished()) alreadyFinished(status);
                else await queue.WriteAsync(w, ct);
            }
            batch.Clear();
        }
    }

    private static async IAsyncEnumerable<Problem> ToAsync(IEnumerable<Problem> problems)
    {
        foreach (var p in problems) yield return p;
        await Task.CompletedTask;
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
            if (e.Failure == EndpointFailure.NotFound)
                unreachable = $"{e.Endpoint} answered HTTP 404 Not Found: check base_url (OpenAI-compatible servers serve under /v1) and the model name ({e.Detail})";
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
        error = plan.Secrets?.RedactOrNull(error) ?? error;
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
