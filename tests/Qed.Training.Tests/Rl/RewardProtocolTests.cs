using Qed.Benchmarks;
using Qed.Training.Checkpoints;
using Qed.Llm;
using Qed.Testing;
using Qed.Training.Rl;

namespace Qed.Training.Tests.Rl;

/// <summary><c>reward.protocol: qed-nano</c>: the published judge reward, next to ours.</summary>
public class RewardProtocolTests
{
    private static readonly Problem Problem = new("p1", "Prove that the sum of two even integers is even.", ReferenceSolution: "REFERENCE-TEXT",
        MarkingScheme: "7 points: write both as 2a and 2b and factor the sum.");

    [Theory]
    [InlineData("Fine. <score>5</score>", 5)]
    [InlineData("<score>2</score> on reflection <score>7</score>", 2)]
    [InlineData("I would give it 6 out of 7.", 0)]
    [InlineData("<points>6 out of 7</points>", 0)]
    [InlineData("<score> 4 </score>", 0)]
    public void The_verdict_is_the_first_score_tag_and_none_scores_zero(string reply, int expected) =>
        QedNanoRewardGrader.ParseScore(reply).Should().Be(expected);

    [Fact]
    public async Task The_judge_sees_no_reference_may_write_81920_tokens_and_an_unparsable_verdict_is_zero_not_a_failure()
    {
        await using var server = await LoopbackChatServer.StartAsync();
        using var models = new ChatClientFactory();
        var judge = models.Create(new ModelConfig { Name = "judge", Model = "judge", BaseUrls = [server.BaseUrl], MaxRetries = 0 });
        var grader = new QedNanoRewardGrader(judge.Chat, new PromptLibrary().Get("Rl", "judge-qed-nano"));
        var reward = new RewardFunction(grader, 7, "</think>", requireClosedThinking: true, GradeFailurePolicy.Skip);

        server.Enqueue(ScriptedReply.Text("Correct factoring. <score>7</score>"), ScriptedReply.Text("Looks fine."));
        (await reward.ScoreAsync(Problem, "thinking</think>x = 2a, y = 2b, x + y = 2(a + b).", default)).Reward.Should().Be(1);
        var unparsable = await reward.ScoreAsync(Problem, "thinking</think>A proof.", default);
        unparsable.Reward.Should().Be(0);
        unparsable.Failure.Should().BeNull();

        var request = server.Requests[0];
        request.LastUserMessage.Should().Contain("factor the sum").And.Contain("x + y = 2(a + b)").And.NotContain("REFERENCE-TEXT").And.NotContain("thinking");
        request.Json!["max_tokens"]!.GetValue<int>().Should().Be(81920);

        (await reward.ScoreAsync(Problem, "thinking</think>   ", default)).Reward.Should().Be(0);
        server.RequestCount.Should().Be(2);
    }

    [Fact]
    public void The_summariser_sees_only_the_attempts_thinking_under_qed_nano()
    {
        ReasoningCache.AttemptForSummary("idea one</think>Final proof.", "</think>").Should().Be("idea one");
        ReasoningCache.AttemptForSummary("never closed", "</think>").Should().Be("never closed");
        ReasoningCache.AttemptForSummary("idea one</think>Final proof.", null).Should().Be("idea one</think>Final proof.");
    }

    [Fact]
    public void The_config_field_is_reward_protocol_and_needs_a_judge()
    {
        using var dir = new TempDirectory();
        var tiny = File.ReadAllText(Path.Combine(RepoPaths.Root, "configs", "train", "grpo-tiny.yaml"));
        var tinyDir = Path.Combine(RepoPaths.Root, "configs", "train");
        string Write(string name, string text) => dir.Write(name, text.Replace("toy-copy", Path.Combine(tinyDir, "toy-copy")));

        GrpoOptionsLoader.Load(Write("a.yaml", tiny), dir.Path, ModelDirectory.Resolve).RewardProtocol.Should().Be("qed");

        var judge = tiny.Replace("grader:\n  kind: first-integer", "grader:\n  kind: judge\n  model: openai/gpt-oss-20b") + "\nreward:\n  protocol: qed-nano\n";
        var options = GrpoOptionsLoader.Load(Write("b.yaml", judge), dir.Path, ModelDirectory.Resolve);
        options.RewardProtocol.Should().Be("qed-nano");
        options.Fingerprint().Should().Contain("reward.protocol=qed-nano");

        var notJudge = () => GrpoOptionsLoader.Load(Write("c.yaml", tiny + "\nreward:\n  protocol: qed-nano\n"), dir.Path, ModelDirectory.Resolve);
        notJudge.Should().Throw<QedException>().WithMessage("*c.yaml:*field 'reward'*judge*");
        var typo = () => GrpoOptionsLoader.Load(Write("d.yaml", tiny + "\nreward:\n  protocl: qed-nano\n"), dir.Path, ModelDirectory.Resolve);
        typo.Should().Throw<QedException>().WithMessage("*did you mean 'protocol'*");
        var unknown = () => GrpoOptionsLoader.Load(Write("e.yaml", tiny + "\nreward:\n  protocol: paper\n"), dir.Path, ModelDirectory.Resolve);
        unknown.Should().Throw<QedException>().WithMessage("*qed or qed-nano*paper*");
    }
}
