using Qed.Benchmarks;
using Qed.Grading;
using Qed.Llm;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Tests.Grading;

public class VerdictTests
{
    [Theory]
    [InlineData("Fine.\n<points>7 out of 7</points>", 7)]
    [InlineData("first <points>0 out of 7</points> then <points>6 out of 7</points>", 6)]
    [InlineData("<POINTS> 1 OUT OF 7 </POINTS>", 1)]
    public void Reads_the_last_points_tag(string reply, int points) =>
        Verdicts.ParsePoints(reply, Verdicts.ProofBenchPoints).Points.Should().Be(points);

    [Theory]
    [InlineData("")]
    [InlineData("I give it seven points.")]
    [InlineData("<points>3 out of 7</points>")]
    [InlineData("<points>7 out of 10</points>")]
    public void Unreadable_or_disallowed_points_are_unparsable_not_zero(string reply)
    {
        var v = Verdicts.ParsePoints(reply, Verdicts.ProofBenchPoints);
        v.Parsed.Should().BeFalse();
        v.Unparsable.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void Marking_scheme_mode_allows_any_whole_point() =>
        Verdicts.ParsePoints("<points>3 out of 7</points>", Verdicts.ZeroToSeven).Points.Should().Be(3);

    [Fact]
    public void Answer_verdicts()
    {
        Verdicts.ParseAnswerVerdict("ok <verdict>Correct</verdict>").Should().Be(AnswerJudgement.Correct);
        Verdicts.ParseAnswerVerdict("<verdict>Correct</verdict> no wait <verdict>incorrect</verdict>").Should().Be(AnswerJudgement.Incorrect);
        Verdicts.ParseAnswerVerdict("Correct").Should().Be(AnswerJudgement.Unparsable);
    }

    [Fact]
    public void The_judge_sees_the_proof_without_thinking_or_self_evaluation()
    {
        var text = "draft</think>\n## Proof\nStep 1.\n## Self-Evaluation\nMy proof is perfect: 7/7.\n## Remark\nKept.";
        ProofText.ForJudge(text).Should().Be("## Proof\nStep 1.\n## Remark\nKept.");
        ProofText.ForJudge("Proof.\n**Self-evaluation**: I am confident.").Should().Be("Proof.");
    }

    [Theory]
    [InlineData(@"so \boxed{3} or rather \boxed{\frac{1}{2}}.", @"\frac{1}{2}")]
    [InlineData(@"\boxed{f(x) = \{x\}}", @"f(x) = \{x\}")]
    [InlineData("no box", null)]
    [InlineData(@"\boxed{unclosed", null)]
    public void Last_boxed_answer(string text, string? expected) => ProofText.LastBoxed(text).Should().Be(expected);
}

public class ProofGraderTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly ChatClientFactory _factory = new(new ChatClientFactoryOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5) });
    private static readonly Problem Problem = new("p", "Prove 1+1=2.", "By definition.", "(Partial) 1. definition", ShortAnswer: "2");

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();
    public async Task DisposeAsync() { await _server.DisposeAsync(); _factory.Dispose(); }

    private ProofGrader Grader(IAnswerChecker? checker = null) => new(_factory.Create(ModelConfigLoader.Parse("judge.yaml",
        $"model: judge\nbase_url: {_server.BaseUrl}\nmax_retries: 0\n")), answerChecker: checker);

    [Fact]
    public async Task Proof_mode_sends_problem_reference_guidelines_and_proof()
    {
        _server.Enqueue(ScriptedReply.Text("Good.\n<points>6 out of 7</points>"));
        var g = await Grader().GradeAsync(Problem, "Since 1+1 is 2 by definition.", GradingMode.Proof, CancellationToken.None);
        g.Status.Should().Be(GradeStatus.Graded);
        g.Points.Should().Be(6);
        g.Reward.Should().BeApproximately(6.0 / 7, 1e-12);
        var prompt = _server.Requests.Single().LastUserMessage!;
        prompt.Should().Contain("Prove 1+1=2.").And.Contain("By definition.").And.Contain("(Partial) 1. definition").And.Contain("Since 1+1 is 2");
        prompt.Should().NotContain("{{");
    }

    [Fact]
    public async Task Unparsable_verdicts_are_retried_then_grade_failed_never_zero()
    {
        _server.Responder = _ => ScriptedReply.Text("Looks fine to me.");
        var g = await Grader().GradeAsync(Problem, "A proof.", GradingMode.Proof, CancellationToken.None);
        g.Status.Should().Be(GradeStatus.Failed);
        g.Points.Should().BeNull();
        g.Error.Should().Contain("unparsable");
        _server.RequestCount.Should().Be(3);
    }

    [Fact]
    public async Task A_second_attempt_can_rescue_the_grade()
    {
        _server.Enqueue(ScriptedReply.Text("hmm"), ScriptedReply.Text("<points>1 out of 7</points>"));
        var g = await Grader().GradeAsync(Problem, "A proof.", GradingMode.Proof, CancellationToken.None);
        g.Points.Should().Be(1);
        g.Usage.Calls.Should().Be(2);
    }

    [Fact]
    public async Task Judge_failures_are_grade_failed()
    {
        _server.Responder = _ => ScriptedReply.Error(400);
        var g = await Grader().GradeAsync(Problem, "A proof.", GradingMode.MarkingScheme, CancellationToken.None);
        g.Status.Should().Be(GradeStatus.Failed);
        g.Points.Should().BeNull();
    }

    [Fact]
    public async Task Answer_mode_asks_the_judge_only_when_the_checker_is_undecided()
    {
        _server.Enqueue(ScriptedReply.Text("<verdict>Correct</verdict>"));
        var judged = await Grader(new FixedChecker(AnswerEquivalence.Undecided)).GradeAsync(Problem, @"Thus \boxed{2}.", GradingMode.Answer, CancellationToken.None);
        judged.Points.Should().Be(7);
        judged.DecidedBy.Should().Be("judge");
        _server.Requests.Single().LastUserMessage.Should().Contain("## Predicted answer\n2");

        var ruled = await Grader(new FixedChecker(AnswerEquivalence.Different)).GradeAsync(Problem, @"\boxed{3}", GradingMode.Answer, CancellationToken.None);
        ruled.Points.Should().Be(0);
        ruled.DecidedBy.Should().Be("fixed");
        _server.RequestCount.Should().Be(1);

        var none = await Grader().GradeAsync(Problem, "I could not finish.", GradingMode.Answer, CancellationToken.None);
        none.Should().Match<GradeOutcome>(x => x.Points == 0 && x.DecidedBy == "no-answer");
    }

    [Fact]
    public async Task Answer_mode_reads_an_answer_stated_in_prose_before_calling_a_reply_answerless()
    {
        // No \boxed{}: the answer after "Answer:" or in the last sentence is graded, by the checker when it can decide.
        var prose = await Grader(new SymbolicAnswerChecker()).GradeAsync(Problem with { ShortAnswer = @"\frac{2}{3}" },
            "Each round is independent, so the probability that Alice wins is $\\frac{2}{3}$.", GradingMode.Answer, CancellationToken.None);
        prose.Should().Match<GradeOutcome>(x => x.Points == 7 && x.DecidedBy == "answer-checker");
        prose.Desc.Should().Contain("no \\boxed{}");

        var labelled = await Grader(new SymbolicAnswerChecker()).GradeAsync(Problem with { ShortAnswer = "42" },
            "We count the cases.\n\nAnswer: 41", GradingMode.Answer, CancellationToken.None);
        labelled.Should().Match<GradeOutcome>(x => x.Points == 0 && x.DecidedBy == "answer-checker");

        // Several labelled boxes: all parts are graded, in order.
        var parts = await Grader(new SymbolicAnswerChecker()).GradeAsync(Problem with { ShortAnswer = "3, 5" },
            @"(a) $\boxed{3}$ (b) $\boxed{5}$", GradingMode.Answer, CancellationToken.None);
        parts.Points.Should().Be(7);
        var swapped = await Grader(new SymbolicAnswerChecker()).GradeAsync(Problem with { ShortAnswer = "(a) 3 (b) 5" },
            @"(a) $\boxed{5}$ (b) $\boxed{3}$", GradingMode.Answer, CancellationToken.None);
        swapped.Points.Should().Be(0);

        // Nothing to read: 0 points, and decided_by says why; the judge is not asked.
        var none = await Grader(new SymbolicAnswerChecker()).GradeAsync(Problem, "I could not finish this one.", GradingMode.Answer, CancellationToken.None);
        none.Should().Match<GradeOutcome>(x => x.Points == 0 && x.DecidedBy == "no-answer");
        _server.RequestCount.Should().Be(0);
    }

    private sealed class FixedChecker(AnswerEquivalence result) : IAnswerChecker
    {
        public string Name => "fixed";
        public AnswerEquivalence Check(string gold, string predicted) => result;
    }
}

public class SymbolicAnswerCheckerTests
{
    [Theory]
    [InlineData("$\\frac{1}{2}$", "0.5", AnswerEquivalence.Equivalent)]
    [InlineData("3", "4", AnswerEquivalence.Different)]
    public void Decides_clear_cases_without_a_judge(string gold, string predicted, AnswerEquivalence expected) =>
        new SymbolicAnswerChecker().Check(gold, predicted).Should().Be(expected);
}
