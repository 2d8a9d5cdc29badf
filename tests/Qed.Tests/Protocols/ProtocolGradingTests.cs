using Qed.Benchmarks;
using Qed.Grading;
using Qed.Llm;
using Qed.Protocols;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Tests.Protocols;

/// <summary>The grader under the original's rules, with fixture prompts in its format, against a loopback judge.</summary>
public class ProtocolGradingTests : IAsyncLifetime
{
    private LoopbackChatServer _judge = null!;
    private Protocol _nano = null!;
    private readonly ChatClientFactory _factory = new(new ChatClientFactoryOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(5) });
    private static readonly Problem Problem = new("p", "Prove 1+1=2.", "By definition.", "(Partial) 1. definition", "Scheme: 7 for a proof.", ShortAnswer: "2");

    public async Task InitializeAsync()
    {
        _judge = await LoopbackChatServer.StartAsync();
        _nano = await ProtocolResolver.ResolveAsync(ProtocolFilesTests.FixtureDir, new ProtocolEnvironment("http://127.0.0.1:9", Path.GetTempPath(), null), default);
    }

    public async Task DisposeAsync() { await _judge.DisposeAsync(); _factory.Dispose(); }

    private ProofGrader Grader(Protocol protocol) => new(_factory.Create(ModelConfigLoader.Parse("judge.yaml",
        $"model: judge\nbase_url: {_judge.BaseUrl}\nmax_retries: 0\n")), options: new GraderOptions { Protocol = protocol },
        answerChecker: new SymbolicAnswerChecker());

    [Fact]
    public async Task Proof_mode_sends_the_originals_prompt_and_reads_a_bare_points_block()
    {
        _judge.Enqueue(ScriptedReply.Text("Mostly right.\n<points>3 out of 7</points>"));
        var g = await Grader(_nano).GradeAsync(Problem, "1+1=2 by definition.\n# Self Evaluation\nThis deserves 7.", GradingMode.Proof, default);
        g.Status.Should().Be(GradeStatus.Graded);
        g.Points.Should().Be(3);
        var prompt = _judge.Requests.Single().LastUserMessage!;
        prompt.Should().StartWith("FIXTURE-JUDGE-PROOF").And.Contain("Prove 1+1=2.").And.Contain("By definition.")
            .And.Contain("(Partial) 1. definition").And.Contain("1+1=2 by definition.").And.Contain("{not a field}");
        prompt.Should().NotContain("This deserves 7");
    }

    [Fact]
    public async Task Marking_scheme_mode_uses_the_scheme_prompt_without_the_reference()
    {
        _judge.Enqueue(ScriptedReply.Text("<points>4</points>"));
        var g = await Grader(_nano).GradeAsync(Problem, "A proof.", GradingMode.MarkingScheme, default);
        g.Points.Should().Be(4);
        var prompt = _judge.Requests.Single().LastUserMessage!;
        prompt.Should().StartWith("FIXTURE-JUDGE-SCHEME").And.Contain("Scheme: 7 for a proof.").And.NotContain("By definition.");
    }

    [Fact]
    public async Task An_unreadable_verdict_is_asked_once_and_recorded_as_grade_failed()
    {
        _judge.Responder = _ => ScriptedReply.Text("Looks fine.");
        var g = await Grader(_nano).GradeAsync(Problem, "A proof.", GradingMode.Proof, default);
        g.Status.Should().Be(GradeStatus.Failed);
        g.Points.Should().BeNull();
        _judge.RequestCount.Should().Be(1);
    }

    [Fact]
    public async Task The_same_replies_grade_differently_under_ours()
    {
        _judge.Responder = _ => ScriptedReply.Text("<points>6</points>");
        (await Grader(_nano).GradeAsync(Problem, "A proof.", GradingMode.Proof, default)).Points.Should().Be(6);
        var ours = await Grader(Protocol.Ours).GradeAsync(Problem, "A proof.", GradingMode.Proof, default);
        ours.Status.Should().Be(GradeStatus.Failed);
        _judge.RequestCount.Should().Be(4); // one under qed-nano, three attempts under ours
    }

    [Fact]
    public async Task An_empty_proof_goes_to_the_judge_under_the_original_but_is_zero_by_rule_under_ours()
    {
        _judge.Enqueue(ScriptedReply.Text("<points>0</points>"));
        (await Grader(_nano).GradeAsync(Problem, "", GradingMode.Proof, default)).DecidedBy.Should().Be("judge");
        (await Grader(Protocol.Ours).GradeAsync(Problem, "", GradingMode.Proof, default)).DecidedBy.Should().Be("no-answer");
        _judge.RequestCount.Should().Be(1);
    }

    [Fact]
    public async Task Answer_mode_sends_the_last_box_and_reads_the_judges_box_without_a_symbolic_checker()
    {
        _judge.Enqueue(ScriptedReply.Text(@"They agree: \boxed{Correct}"), ScriptedReply.Text(@"\boxed{Incorrect}"));
        var right = await Grader(_nano).GradeAsync(Problem, "so \\boxed{1+1}\n", GradingMode.Answer, default);
        right.Points.Should().Be(7);
        right.DecidedBy.Should().Be("judge");
        var prompt = _judge.Requests[0].LastUserMessage!;
        prompt.Should().StartWith("FIXTURE-JUDGE-ANSWER").And.Contain("Gold: 2").And.Contain("Student: 1+1");

        var wrong = await Grader(_nano).GradeAsync(Problem, "l1\nl2\nl3\nl4\nl5\nno box at all", GradingMode.Answer, default);
        wrong.Points.Should().Be(0);
        _judge.Requests[1].LastUserMessage.Should().Contain("Student: ...l2\nl3\nl4\nl5\nno box at all");
    }

    [Fact]
    public void The_judge_identity_differs_between_protocols()
    {
        var nano = Grader(_nano);
        var ours = Grader(Protocol.Ours);
        nano.JudgeId(GradingMode.Proof).Should().NotBe(ours.JudgeId(GradingMode.Proof));
        nano.PromptFor(GradingMode.Answer).Text.Should().StartWith("FIXTURE-JUDGE-ANSWER");
    }
}
