using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;

namespace Qed.Solvers;

/// <summary>What one model call returned (freshly or from the store).</summary>
public sealed record StepResult(string Name, string Answer, string? Reasoning, bool Truncated,
    long InputTokens, long OutputTokens, double CostUsd, bool FromStore, string Role = "");

/// <summary>
/// Everything a solver may use for one sample: the models by role, a seeded random source, the global
/// in-flight cap, and the one call helper <see cref="CallAsync"/>.
/// </summary>
public sealed class SolverContext
{
    private readonly RunStore _store;
    private readonly IReadOnlyDictionary<string, ModelClient> _roles;
    private readonly ModelClient _default;
    private readonly object _gate = new();
    private UsageTotals _usage = UsageTotals.Zero;
    private int _callsInFlight;

    public string RunId { get; }
    public string SampleId { get; }
    public Problem Problem { get; }
    public int RunIndex { get; }
    public SolverBudget Budget { get; }
    /// <summary>Seeded from the sample identity: a resumed sample draws the same numbers.</summary>
    public Random Random { get; }
    public GlobalRequestLimit? GlobalLimit { get; }
    /// <summary>Told about every finished step (fresh or from the store), e.g. to print progress. Called concurrently
    /// when a solver runs branches in parallel.</summary>
    public Action<StepResult>? StepFinished { get; init; }

    public SolverContext(RunStore store, string runId, string sampleId, Problem problem, int runIndex,
        ModelClient defaultModel, IReadOnlyDictionary<string, ModelClient>? roles = null,
        SolverBudget? budget = null, GlobalRequestLimit? globalLimit = null)
    {
        _store = store;
        RunId = runId;
        SampleId = sampleId;
        Problem = problem;
        RunIndex = runIndex;
        _default = defaultModel;
        _roles = roles ?? new Dictionary<string, ModelClient>();
        Budget = budget ?? SolverBudget.None;
        GlobalLimit = globalLimit;
        Random = new Random(BitConverter.ToInt32(Convert.FromHexString(Hashing.Sha256Hex("seed", runId, sampleId)[..8])));
    }

    /// <summary>Usage of this sample so far, stored steps included.</summary>
    public UsageTotals Usage { get { lock (_gate) return _usage; } }

    /// <summary>The model for a role (e.g. "solver", "verifier"); roles without their own config use <c>--model</c>.</summary>
    public ModelClient ModelFor(string role) => _roles.TryGetValue(role, out var m) ? m : _default;

    public IChatClient ClientFor(string role) => ModelFor(role).Chat;

    /// <summary>
    /// Calls the role's model once and records the step. When this sample already finished a step with the
    /// same name, role, model and messages (a resumed run), the stored reply is returned without any request.
    /// Usage and cost are added to the sample; a spent budget throws <see cref="BudgetExhaustedException"/>.
    /// </summary>
    /// <param name="stepName">unique within the sample, e.g. <c>"generate"</c> or <c>"round-2/verify-3"</c>.</param>
    public async Task<StepResult> CallAsync(string stepName, string role, IReadOnlyList<ChatMessage> messages,
        ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var model = ModelFor(role);
        var messagesJson = MessagesJson(messages);
        var key = Hashing.Sha256Hex("step", stepName, role, model.ConfigHash, messagesJson, OptionsJson(options));

        var stored = await _store.FindStepAsync(SampleId, key, cancellationToken).ConfigureAwait(false);
        if (stored is not null) return Replayed(stored, stepName, role);

        // Claimed before it is requested: another process working on this sample (its lease taken over while the
        // first holder still ran) waits for the step and replays it instead of paying for it again.
        await using var claim = await _store.Claims.ClaimWhenFreeAsync("step:" + SampleId + "/" + key,
            async ct => await _store.FindStepAsync(SampleId, key, ct).ConfigureAwait(false) is not null, cancellationToken).ConfigureAwait(false);
        if (claim is null) return Replayed((await _store.FindStepAsync(SampleId, key, cancellationToken).ConfigureAwait(false))!, stepName, role);

        ReserveCall();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        ChatResponse response;
        try
        {
            response = await model.Chat.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate) _callsInFlight--;
            throw;
        }
        clock.Stop();

        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        var cost = response.CostUsd();
        var step = new StepRecord(SampleId, key, stepName, role, model.Config.Model, messagesJson, response.AnswerText(),
            response.ReasoningText(), response.IsTruncated(), response.FinishReason?.Value, input, output, cost,
            clock.Elapsed.TotalSeconds, response.Endpoint(), started);
        await _store.SaveStepWithUsageAsync(step, "solve", CancellationToken.None).ConfigureAwait(false);
        lock (_gate)
        {
            _usage = _usage.Add(input, output, cost);
            _callsInFlight--;
        }
        return Finished(new StepResult(stepName, step.Answer, step.Reasoning, step.Truncated, input, output, cost, FromStore: false, role));
    }

    private StepResult Replayed(StepRecord stored, string stepName, string role)
    {
        AddUsage(stored.InputTokens, stored.OutputTokens, stored.CostUsd);
        return Finished(new StepResult(stepName, stored.Answer, stored.Reasoning, stored.Truncated, stored.InputTokens,
            stored.OutputTokens, stored.CostUsd, FromStore: true, role));
    }

    private StepResult Finished(StepResult step)
    {
        StepFinished?.Invoke(step);
        return step;
    }

    private void AddUsage(long input, long output, double cost)
    {
        lock (_gate) _usage = _usage.Add(input, output, cost);
    }

    /// <summary>
    /// Checks the budget and counts the call as in flight, atomically: parallel branches of one scaffold cannot
    /// together overshoot <c>max_calls</c> (tokens and dollars are only known afterwards, so those can overshoot by
    /// the calls already in flight).
    /// </summary>
    private void ReserveCall()
    {
        lock (_gate)
        {
            EnsureBudgetLeft(_usage, _callsInFlight);
            _callsInFlight++;
        }
    }

    private void EnsureBudgetLeft(UsageTotals u, int callsInFlight)
    {
        if (Budget.MaxCalls is { } calls && u.Calls + callsInFlight >= calls)
            throw new BudgetExhaustedException($"max_calls {calls} reached");
        if (Budget.MaxOutputTokens is { } tokens && u.OutputTokens >= tokens)
            throw new BudgetExhaustedException($"max_output_tokens {tokens} reached ({u.OutputTokens})");
        if (Budget.MaxCostUsd is { } usd && u.CostUsd >= usd)
            throw new BudgetExhaustedException($"max_cost_usd {usd} reached ({u.CostUsd:0.####})");
    }

    public static string MessagesJson(IEnumerable<ChatMessage> messages) =>
        new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray()).ToJsonString();

    private static string OptionsJson(ChatOptions? o) => o is null ? "" : JsonSerializer.Serialize(new
    {
        o.MaxOutputTokens, o.Temperature, o.TopP, o.TopK, o.Seed, o.StopSequences,
        extra = o.AdditionalProperties?.OrderBy(p => p.Key).Select(p => $"{p.Key}={JsonSerializer.Serialize(p.Value)}"),
    });
}
