using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;

namespace Qed.Training.Rl;

/// <summary>One reasoning turn of a trajectory: the summary it started from, what the policy wrote, and the summary
/// the summariser made of it (which replaces <paramref name="StartSummary"/> in the next turn's prompt).</summary>
public sealed record ReasoningTurn(string? StartSummary, string Attempt, string Summary);

/// <summary>A reasoning-cache trajectory of one problem. Its states are the reasoning prompts: the problem alone,
/// then the problem with each turn's summary (ReasoningSteps + 1 states).</summary>
public sealed record ReasoningTrajectory(Problem Problem, IReadOnlyList<ReasoningTurn> Turns)
{
    public IReadOnlyList<TrainingState> States =>
        [new TrainingState(Problem, null), .. Turns.Select(t => new TrainingState(Problem, t.Summary))];
}

/// <summary>
/// Builds reasoning-cache trajectories: reasoning turns sampled from the current policy (one rollout each, through
/// the same rollout engine as training), summary turns by a separate frozen summariser model; each summary
/// replaces the previous one, so the prompt never grows.
/// </summary>
/// <param name="thinkingOnlyBefore">when set (<c>reward.protocol: qed-nano</c>), the summariser sees only the attempt's thinking:
/// the text before the last occurrence of this marker (all of it when the attempt never closed its thinking).</param>
public sealed class ReasoningCache(IChatClient summarizer, IReadOnlyList<string> summarizerDelimiters, PolicyPrompts prompts,
    PromptTemplate summaryPrompt, int reasoningSteps, double temperature, int reasoningMaxTokens, string? thinkingOnlyBefore = null)
{
    /// <summary>What the summariser is shown of an attempt.</summary>
    public static string AttemptForSummary(string attempt, string? thinkingOnlyBefore)
    {
        if (thinkingOnlyBefore is null) return attempt;
        var cut = attempt.LastIndexOf(thinkingOnlyBefore, StringComparison.Ordinal);
        return (cut >= 0 ? attempt[..cut] : attempt).Trim();
    }

    /// <summary>One trajectory per problem; the policy's turns of every trajectory are sampled together.</summary>
    public async Task<IReadOnlyList<ReasoningTrajectory>> BuildAsync(IReadOnlyList<Problem> problems, IRolloutEngine engine, long seed, CancellationToken cancellationToken)
    {
        var summaries = new string?[problems.Count];
        var turns = problems.Select(_ => new List<ReasoningTurn>()).ToArray();
        for (int step = 0; step < reasoningSteps; step++)
        {
            var requests = problems.Select((p, i) => new RolloutRequest($"rc {p.Id} turn {step}", prompts.Encode(p, summaries[i]), 1)).ToList();
            var rollouts = await engine.GenerateAsync(requests, new SamplingSettings(temperature, reasoningMaxTokens, unchecked(seed * 31 + step)), cancellationToken).ConfigureAwait(false);
            var next = await Task.WhenAll(problems.Select((p, i) =>
                SummarizeAsync(p, summaries[i], prompts.Decode(rollouts[i].CompletionIds), cancellationToken))).ConfigureAwait(false);
            for (int i = 0; i < problems.Count; i++)
            {
                turns[i].Add(new ReasoningTurn(summaries[i], prompts.Decode(rollouts[i].CompletionIds), next[i]));
                summaries[i] = next[i];
            }
        }
        return problems.Select((p, i) => new ReasoningTrajectory(p, turns[i])).ToList();
    }

    private async Task<string> SummarizeAsync(Problem problem, string? previous, string attempt, CancellationToken ct)
    {
        var prompt = summaryPrompt.Render(new Dictionary<string, string?>
        {
            ["problem"] = problem.Statement, ["previous_summary"] = previous ?? "(none)", ["attempt"] = AttemptForSummary(attempt, thinkingOnlyBefore),
        });
        var response = await summarizer.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], cancellationToken: ct).ConfigureAwait(false);
        var parts = ReasoningSplit.Split(response.Text, null, summarizerDelimiters, response.FinishReason == ChatFinishReason.Length);
        if (!parts.ThinkingClosed || string.IsNullOrWhiteSpace(parts.Answer))
            throw new QedException($"summariser: no summary for problem {problem.Id} (the reply {(parts.ThinkingClosed ? "was empty" : "stopped inside its thinking")})");
        return parts.Answer.Trim();
    }
}

/// <summary>
/// RC-RL's step states: build one trajectory per drawn problem with the current policy, then draw
/// <c>states_per_trajectory</c> of its reasoning prompts (without replacement, seeded by step) as the step's GRPO problems.
/// </summary>
public sealed class ReasoningCacheStates(ReasoningCache cache, IReadOnlyList<Problem> problems, int perStep, int statesPerTrajectory, long seed) : IStepStates
{
    public static async Task<IStepStates> CreateAsync(ReasoningCacheOptions rc, IReadOnlyList<Problem> problems, PolicyPrompts prompts,
        GrpoOptions options, ChatClientFactory? models, CancellationToken cancellationToken)
    {
        if (models is null) throw new QedException("reasoning-cache RL needs a chat client factory for the summariser");
        var summarizer = await models.OpenAsync(rc.Summarizer, cancellationToken).ConfigureAwait(false);
        var delimiters = summarizer.Config.Delimiters.Count > 0 ? summarizer.Config.Delimiters : ["</think>"];
        var cache = new ReasoningCache(summarizer.Chat, delimiters, prompts, new PromptLibrary(rc.PromptDirectory).Get("Rl", "summary"),
            rc.ReasoningSteps, options.Temperature, rc.ReasoningMaxTokens ?? options.MaxNewTokens,
            options.RewardProtocol == "qed-nano" ? options.ThinkEnd : null);
        return new ReasoningCacheStates(cache, problems, options.ProblemsPerStep, rc.StatesPerTrajectory, options.Seed);
    }

    public async Task<IReadOnlyList<TrainingState>> ForStepAsync(long step, IRolloutEngine engine, CancellationToken cancellationToken)
    {
        int trajectories = (perStep + statesPerTrajectory - 1) / statesPerTrajectory;
        var drawn = RlProblems.ForStep(problems.Count, trajectories, seed, step).Select(i => problems[i]).ToList();
        var built = await cache.BuildAsync(drawn, engine, RolloutPipeline.SamplingSeed(seed, step) ^ 0x5c5c, cancellationToken).ConfigureAwait(false);
        var rng = new Random(unchecked((int)RolloutPipeline.SamplingSeed(seed + 17, step)));
        return built.SelectMany(t => Pick(t.States, statesPerTrajectory, rng)).Take(perStep).ToList();
    }

    /// <summary><paramref name="count"/> of <paramref name="states"/> without replacement, in trajectory order.</summary>
    public static IReadOnlyList<TrainingState> Pick(IReadOnlyList<TrainingState> states, int count, Random rng)
    {
        var order = Enumerable.Range(0, states.Count).ToArray();
        rng.Shuffle(order);
        return order.Take(count).Order().Select(i => states[i]).ToList();
    }
}
