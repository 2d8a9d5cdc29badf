using Qed.Benchmarks;
using Qed.Grading;
using Qed.Llm;
using Qed.Testing;
using Qed.Training.Rl;

namespace Qed.Training.Tests.Rl;

/// <summary>The reward: text after the last &lt;/think&gt;, graded by the evaluation's ProofGrader on a loopback judge.</summary>
public class RewardTests
{
    private static readonly Problem Problem = new("p1", "Prove that the sum of two even integers is even.",
        MarkingScheme: "7 points: write both as 2a and 2b and factor the sum. 2 points: examples only.");

    private static async Task<(LoopbackChatServer Server, RewardFunction Reward, ChatClientFactory Models)> JudgeAsync(GradeFailurePolicy onFailure)
    {
        var server = await LoopbackChatServer.StartAsync();
        var models = new ChatClientFactory();
        var judge = models.Create(new ModelConfig { Name = "judge", Model = "judge", BaseUrls = [server.BaseUrl], MaxRetries = 0 });
        var reward = new RewardFunction(new JudgeRewardGrader(new ProofGrader(judge)), 7, "</think>", requireClosedThinking: true, onFailure);
        return (server, reward, models);
    }

    [Fact]
    public async Task Judge_points_over_seven_become_the_reward_and_the_judge_sees_only_the_proof()
    {
        var (server, reward, models) = await JudgeAsync(GradeFailurePolicy.Skip);
        await using var _ = server;
        using var __ = models;
        server.Enqueue(ScriptedReply.Text("The proof factors the sum correctly. <points>5 out of 7</points>"));

        var r = await reward.ScoreAsync(Problem, "secret scratch work </think> thinking aside </think>Let x = 2a, y = 2b; then x + y = 2(a + b).", CancellationToken.None);

        r.Reward.Should().BeApproximately(5.0 / 7, 1e-12);
        r.ClosedThinking.Should().BeTrue();
        r.Failure.Should().BeNull();
        var prompt = server.Requests.Single().LastUserMessage!;
        prompt.Should().Contain("x + y = 2(a + b)").And.Contain("factor the sum").And.NotContain("secret scratch work").And.NotContain("thinking aside");
    }

    [Fact]
    public async Task No_closed_thinking_earns_zero_without_a_judge_call()
    {
        var (server, reward, models) = await JudgeAsync(GradeFailurePolicy.Skip);
        await using var _ = server;
        using var __ = models;
        var r = await reward.ScoreAsync(Problem, "Let me think about parity and then", CancellationToken.None);
        r.Reward.Should().Be(0);
        r.ClosedThinking.Should().BeFalse();
        r.Graded.Should().BeFalse();
        server.RequestCount.Should().Be(0);
    }

    [Theory]
    [InlineData(GradeFailurePolicy.Skip)]
    [InlineData(GradeFailurePolicy.Zero)]
    [InlineData(GradeFailurePolicy.Error)]
    public async Task An_unreadable_verdict_is_a_counted_failure_and_zero_only_when_configured(GradeFailurePolicy policy)
    {
        var (server, reward, models) = await JudgeAsync(policy);
        await using var _ = server;
        using var __ = models;
        server.Responder = _ => ScriptedReply.Text("I would give this a solid score.");
        var score = () => reward.ScoreAsync(Problem, "</think>x + y = 2(a + b).", CancellationToken.None);

        if (policy == GradeFailurePolicy.Error)
        {
            await score.Should().ThrowAsync<QedException>().WithMessage("*p1*unparsable*");
            return;
        }
        var r = await score();
        r.Failure.Should().Contain("unparsable");
        r.Reward.Should().Be(policy == GradeFailurePolicy.Zero ? 0 : null);
        server.RequestCount.Should().Be(3, "the grader asks again before giving up");
    }

    [Fact]
    public async Task Answer_problems_are_checked_by_the_rule_based_answer_checker()
    {
        var grader = new AnswerCheckerGrader();
        var problem = new Problem("a1", "Compute 1/2 + 0.", ShortAnswer: "\\frac{1}{2}");
        (await grader.GradeAsync(problem, "So the answer is $\\boxed{0.5}$.", CancellationToken.None)).Points.Should().Be(7);
        (await grader.GradeAsync(problem, "So the answer is $\\boxed{3}$.", CancellationToken.None)).Points.Should().Be(0);
        (await new FirstIntegerGrader().GradeAsync(new Problem("c", "7=", ShortAnswer: "7"), "7", CancellationToken.None)).Points.Should().Be(7);
        (await new FirstIntegerGrader().GradeAsync(new Problem("c", "7=", ShortAnswer: "7"), "=71", CancellationToken.None)).Points.Should().Be(0);
    }
}
