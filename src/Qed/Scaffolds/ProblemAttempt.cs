using System.Diagnostics;
using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>What one attempt at one problem ended with, plus its recorded steps (the sample's <c>history</c>).</summary>
public sealed record AttemptOutcome(SampleRecord Sample, IReadOnlyList<StepRecord> Steps);

/// <summary>
/// One problem solved once by a model or scaffold, recorded in the run store (what <c>qed prove</c> does). The run and
/// sample identities are content hashes of the model config, scaffold config, prompt texts, problem text and run
/// index, so rerunning the same attempt resumes it step by step, and a finished one is returned from the store.
/// A scaffold that hits its budget hands in its best proof (<c>budget_exhausted</c>); any other fault is recorded as
/// <c>failed</c> with its message; cancellation leaves the sample pending and resumable.
/// </summary>
public static class ProblemAttempt
{
    public static string RunIdOf(string benchmark, ModelClient model, ResolvedScaffold scaffold) => Hashing.Sha256Hex(
        "run", benchmark, model.Config.ContentHash(), scaffold.Config?.ContentHash() ?? SingleCallSolver.Kind, scaffold.PromptsHash,
        string.Join(",", scaffold.RoleModels.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Key + "=" + r.Value.Config.ContentHash())));

    public static string SampleIdOf(string runId, Problem problem, int runIndex) =>
        Hashing.Sha256Hex("sample", runId, Hashing.Sha256Hex(problem.Statement), runIndex.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static async Task<AttemptOutcome> RunAsync(RunStore store, string benchmark, Problem problem, int runIndex, ModelClient model,
        ResolvedScaffold scaffold, Action<StepResult>? onStep, CancellationToken cancellationToken)
    {
        var runId = RunIdOf(benchmark, model, scaffold);
        await store.EnsureRunAsync(new RunInfo(runId, benchmark, GradingMode.Proof.ToString(), model.Config.Name, DescribeModel(model.Config),
            scaffold.Config?.Name, scaffold.Config is { } c ? CanonicalJson.Write(c.Settings.Root) : null, scaffold.PromptsHash,
            DateTimeOffset.UtcNow), cancellationToken);
        var sampleId = SampleIdOf(runId, problem, runIndex);
        var sample = await store.EnsureSampleAsync(sampleId, runId, problem, runIndex, cancellationToken);
        if (!sample.Status.IsFinished())
        {
            var context = new SolverContext(store, runId, sampleId, problem, runIndex, model, scaffold.RoleModels, scaffold.Budget)
            {
                StepFinished = onStep,
            };
            var clock = Stopwatch.StartNew();
            SampleStatus status;
            string? answer = null, reasoning = null, error = null;
            try
            {
                var result = await scaffold.Solver.SolveAsync(problem, context, cancellationToken);
                (answer, reasoning) = (result.Answer, result.Reasoning);
                status = result.BudgetExhausted ? SampleStatus.BudgetExhausted : result.Truncated ? SampleStatus.Truncated : SampleStatus.Ok;
            }
            catch (BudgetExhaustedException e)
            {
                status = SampleStatus.BudgetExhausted;
                (answer, error) = ("", e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                status = SampleStatus.Failed;
                error = e.Message;
            }
            await store.CompleteSampleAsync(sampleId, status, answer, reasoning, error, context.Usage,
                sample.Seconds + clock.Elapsed.TotalSeconds, CancellationToken.None);
            sample = (await store.GetSampleAsync(sampleId, CancellationToken.None))!;
        }
        return new AttemptOutcome(sample, await store.ListStepsAsync(sampleId, CancellationToken.None));
    }

    // What identifies the model in the store; never endpoints or keys.
    private static string DescribeModel(ModelConfig config) => new JsonObject
    {
        ["name"] = config.Name, ["model"] = config.Model, ["content_hash"] = config.ContentHash(),
    }.ToJsonString();
}
