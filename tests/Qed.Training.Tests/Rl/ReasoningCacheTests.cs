using System.Text.RegularExpressions;
using Qed.Benchmarks;
using Qed.Inference.Chat;
using Qed.Inference.Tokenization;
using Qed.Llm;
using Qed.Testing;
using Qed.Training.Rl;

namespace Qed.Training.Tests.Rl;

/// <summary>Reasoning-cache trajectories: the tiny policy writes the reasoning turns, a scripted loopback summariser the summaries.</summary>
public class ReasoningCacheTests
{
    private static readonly Problem[] Problems =
    [
        new("p1", "Prove that 12 is even."),
        new("p2", "Prove that 9 is odd."),
    ];

    /// <summary>Replies "notes k for pN": k is one more than the notes number found in the prompt's earlier notes.</summary>
    private static ScriptedReply Summarize(RecordedRequest request)
    {
        var prompt = request.LastUserMessage!;
        var id = prompt.Contains("12 is even", StringComparison.Ordinal) ? "p1" : "p2";
        var previous = Regex.Match(prompt, @"notes (\d+) for");
        int k = previous.Success ? int.Parse(previous.Groups[1].Value) + 1 : 1;
        return ScriptedReply.Text($"notes {k} for {id}");
    }

    [Fact]
    public async Task Trajectory_alternates_policy_reasoning_and_summaries_that_replace_each_other()
    {
        await using var server = await LoopbackChatServer.StartAsync(Summarize);
        using var models = new ChatClientFactory();
        var summarizer = models.Create(new ModelConfig { Name = "summarizer", Model = "summarizer", BaseUrls = [server.BaseUrl], MaxRetries = 0 });
        var tokenizer = Qwen3Tokenizer.Load(TinyModels.Tokenizer);
        var prompts = new PolicyPrompts(tokenizer, Qwen3TemplateVariant.Thinking2507, PromptFormat.Chat, null, null);
        await using var policy = new InternalRolloutEngine(TinyModels.Model(), prompts.StopTokenIds);
        var cache = new ReasoningCache(summarizer.Chat, ["</think>"], prompts, new PromptLibrary().Get("Rl", "summary"),
            reasoningSteps: 3, temperature: 0.8, reasoningMaxTokens: 12);

        var trajectories = await cache.BuildAsync(Problems, policy, seed: 5, CancellationToken.None);

        trajectories.Should().HaveCount(2);
        foreach (var (t, id) in trajectories.Zip(new[] { "p1", "p2" }))
        {
            t.Turns.Select(x => x.Summary).Should().Equal($"notes 1 for {id}", $"notes 2 for {id}", $"notes 3 for {id}");
            t.Turns[0].StartSummary.Should().BeNull();
            t.Turns[1].StartSummary.Should().Be(t.Turns[0].Summary);
            t.Turns[2].StartSummary.Should().Be(t.Turns[1].Summary);

            // States: the problem alone, then the problem with each summary — the latest replacing the one before.
            t.States.Should().HaveCount(4);
            t.States[0].Summary.Should().BeNull();
            var third = prompts.UserMessage(t.Problem, t.States[2].Summary);
            third.Should().Contain(t.Problem.Statement).And.Contain($"notes 2 for {id}").And.NotContain($"notes 1 for {id}");
        }

        // The summariser saw each attempt with the problem and the notes it started from.
        server.Requests.Should().HaveCount(6);
        var p1Requests = server.Requests.Select(r => r.LastUserMessage!).Where(m => m.Contains("12 is even", StringComparison.Ordinal)).ToList();
        p1Requests.Should().HaveCount(3);
        p1Requests.Should().ContainSingle(m => m.Contains("(none)", StringComparison.Ordinal));
        foreach (var turn in trajectories[0].Turns)
            p1Requests.Should().Contain(m => m.Contains(turn.Attempt, StringComparison.Ordinal) && m.Contains(turn.StartSummary ?? "(none)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_trajectory_gives_the_configured_number_of_distinct_states_as_grpo_problems()
    {
        await using var server = await LoopbackChatServer.StartAsync(Summarize);
        using var models = new ChatClientFactory();
        var summarizer = models.Create(new ModelConfig { Name = "summarizer", Model = "summarizer", BaseUrls = [server.BaseUrl], MaxRetries = 0 });
        var prompts = new PolicyPrompts(Qwen3Tokenizer.Load(TinyModels.Tokenizer), Qwen3TemplateVariant.Thinking2507, PromptFormat.Chat, null, null);
        await using var policy = new InternalRolloutEngine(TinyModels.Model(), prompts.StopTokenIds);
        var cache = new ReasoningCache(summarizer.Chat, ["</think>"], prompts, new PromptLibrary().Get("Rl", "summary"), 3, 0.8, 8);
        var states = new ReasoningCacheStates(cache, Problems, perStep: 4, statesPerTrajectory: 2, seed: 1);

        var step = await states.ForStepAsync(1, policy, CancellationToken.None);

        step.Should().HaveCount(4);
        foreach (var group in step.GroupBy(s => s.Problem.Id))
        {
            group.Should().HaveCount(2);
            group.Select(s => s.Summary ?? "").Distinct().Should().HaveCount(2, "states are drawn without replacement");
        }
        server.Requests.Should().HaveCount(6, "one trajectory of 3 summary turns per drawn problem");
    }
}
