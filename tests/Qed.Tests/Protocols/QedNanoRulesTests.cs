using Qed.Grading;

namespace Qed.Tests.Protocols;

/// <summary>The original harness's reading of replies next to ours, on hand-written replies.</summary>
public class QedNanoRulesTests
{
    [Theory]
    [InlineData("Some notes.\n<points>3 out of 7</points>", 3)]
    [InlineData("<points>6</points>", 6)]
    [InlineData("first <points>0</points> then <points> 7 </points>", 7)]
    [InlineData("<points>\n5\n</points>", 5)]
    [InlineData("<points class=\"final\">2 points</points>", 2)]
    [InlineData("<points>10</points>", 1)] // the original reads the first character only
    public void The_verdict_is_the_last_points_block_by_its_leading_digit(string reply, int expected) =>
        QedNanoRules.ParsePoints(reply).Points.Should().Be(expected);

    [Theory]
    [InlineData("")]
    [InlineData("I would give it 7.")]
    [InlineData("<points>seven</points>")]
    [InlineData("<points></points>")]
    [InlineData("<points>9</points>")]
    public void Unreadable_verdicts_are_unparsable_not_zero(string reply)
    {
        var v = QedNanoRules.ParsePoints(reply);
        v.Parsed.Should().BeFalse();
        v.Unparsable.Should().NotBeNullOrEmpty();
    }

    [Theory]
    [InlineData("<points>3 out of 7</points>", 3)]
    [InlineData("<points>6</points>", 6)]
    public void Replies_the_original_reads_are_unparsable_under_ours(string reply, int original)
    {
        Verdicts.ParsePoints(reply, Verdicts.ProofBenchPoints).Parsed.Should().BeFalse();
        QedNanoRules.ParsePoints(reply).Points.Should().Be(original);
    }

    [Theory]
    [InlineData("Proof.\n# Self Evaluation\nPerfect.\n## Remark\nalso gone", "Proof.")]
    [InlineData("Proof.\n### **Final Evaluation**\n7/7", "Proof.")]
    [InlineData("Proof.\n## Evaluation\nfine", "Proof.")]
    [InlineData("Proof.\n## Self-Evaluation\nkept: the original's pattern has no hyphen", "Proof.\n## Self-Evaluation\nkept: the original's pattern has no hyphen")]
    [InlineData("Proof.\n**Self-evaluation**: bold is not a heading", "Proof.\n**Self-evaluation**: bold is not a heading")]
    [InlineData("draft</think>Proof.", "draft</think>Proof.")]
    public void The_self_evaluation_strip_is_the_originals(string reply, string expected) =>
        QedNanoRules.StripSelfEvaluation(reply).Should().Be(expected);

    [Fact]
    public void Our_strip_differs_on_the_same_replies()
    {
        ProofText.ForJudge("Proof.\n## Self-Evaluation\nx").Should().Be("Proof.");
        ProofText.ForJudge("Proof.\n# Self Evaluation\nx\n## Remark\nkept").Should().Be("Proof.\n## Remark\nkept");
        ProofText.ForJudge("draft</think>Proof.").Should().Be("Proof.");
    }

    [Theory]
    [InlineData(@"So \boxed{3}.", "3")]
    [InlineData("first \\boxed{1}\nthen \\boxed{2} and \\boxed{5}", "2,5")]
    [InlineData(@"\boxed{\boxed{7}}", "7")]
    [InlineData(@"\fbox{x+1}", "x+1")]
    [InlineData(@"\boxed{\frac{1}{2}}", @"\frac{1}{2}")]
    [InlineData(@"\boxed{unclosed", null)]
    [InlineData("none", null)]
    public void The_last_box_with_same_line_boxes_joined(string text, string? expected) =>
        QedNanoRules.LastBoxed(text).Should().Be(expected);

    [Fact]
    public void Without_a_box_the_answer_judge_sees_dots_and_the_last_five_lines()
    {
        var reply = "l1\nl2\nl3\nl4\nl5\nl6\nl7";
        QedNanoRules.AnswerForJudge(reply).Should().Be("...l3\nl4\nl5\nl6\nl7");
        QedNanoRules.AnswerForJudge("short\nreply").Should().Be("short\nreply");
        QedNanoRules.AnswerForJudge("a\nb\nc\nd\ne\n# Self Evaluation\nI got \\boxed{9}").Should().Be("...a\nb\nc\nd\ne");
        QedNanoRules.AnswerForJudge("l1\nl2\nl3\nl4\nl5\n\\boxed{}").Should().Be("...l2\nl3\nl4\nl5\n\\boxed{}");
    }

    [Theory]
    [InlineData(@"Same value. \boxed{Correct}", true)]
    [InlineData(@"\boxed{Correct} no, \boxed{INCORRECT}", false)]
    [InlineData(@"\boxed{correct?}", true)]
    [InlineData(@"\boxed{}", false)]
    [InlineData("Correct", false)]
    public void The_answer_verdict_is_correct_when_the_judges_last_box_does_not_say_incorrect(string reply, bool correct) =>
        QedNanoRules.AnswerCorrect(reply).Should().Be(correct);
}
