using Qed.Scaffolds;

namespace Qed.Tests.Scaffolds;

public class OutputParserTests
{
    [Theory]
    [InlineData("The proof is fine.\nFinal score: \\boxed{1}", 1.0)]
    [InlineData("\\boxed{0.5}", 0.5)]
    [InlineData("Earlier I thought \\boxed{1} but no: \\boxed{0}", 0.0)]
    [InlineData("\\boxed{ \\frac{1}{2} }", 0.5)]
    public void Boxed_scores_take_the_last_box(string text, double expected) =>
        BoxedScore.Parse(text).Value.Should().Be(expected);

    [Theory]
    [InlineData("Score: 1")]
    [InlineData("\\boxed{0.7}")]
    [InlineData("\\boxed{1/1}")]
    [InlineData("\\boxed{1")]
    [InlineData("")]
    public void Anything_else_is_an_unparsable_score_never_a_zero(string text)
    {
        var parsed = BoxedScore.Parse(text);
        parsed.IsParsed.Should().BeFalse();
        parsed.Problem.Should().NotBeNullOrEmpty();
        ((Action)(() => _ = parsed.Value)).Should().Throw<InvalidOperationException>();
    }

    [Theory]
    [InlineData("\\boxed{7}", 7)]
    [InlineData("\\boxed{0}", 0)]
    [InlineData("\\boxed{6.0}", 6)]
    public void Points_are_whole_numbers_from_0_to_7(string text, int expected) => BoxedPoints.Parse(text).Value.Should().Be(expected);

    [Theory]
    [InlineData("\\boxed{8}")]
    [InlineData("\\boxed{-1}")]
    [InlineData("\\boxed{6.5}")]
    [InlineData("7 points")]
    public void Points_out_of_range_are_unparsable(string text) => BoxedPoints.Parse(text).IsParsed.Should().BeFalse();

    [Fact]
    public void Keep_lists_are_one_based_distinct_and_in_range()
    {
        KeepList.Parse("analysis...\n<keep>[1, 3, 3, 4]</keep>", 4).Value.Should().Equal(0, 2, 3);
        KeepList.Parse("<KEEP>[2]</KEEP>", 2).Value.Should().Equal(1);
        KeepList.Parse("<keep>[5]</keep>", 4).IsParsed.Should().BeFalse();
        KeepList.Parse("<keep>[]</keep>", 4).IsParsed.Should().BeFalse();
        KeepList.Parse("<keep>[1, two]</keep>", 4).IsParsed.Should().BeFalse();
        KeepList.Parse("keep 1 and 2", 4).IsParsed.Should().BeFalse();
    }

    [Fact]
    public void Verdicts_are_1_2_or_tie_and_the_last_tag_counts()
    {
        PairwiseVerdict.Parse("<verdict>1</verdict>").Value.Should().Be(PairwiseWinner.First);
        PairwiseVerdict.Parse("<verdict>1</verdict> on reflection <verdict> 2 </verdict>").Value.Should().Be(PairwiseWinner.Second);
        PairwiseVerdict.Parse("<verdict>TIE</verdict>").Value.Should().Be(PairwiseWinner.Tie);
        PairwiseVerdict.Parse("Submission 1 is better").IsParsed.Should().BeFalse(); // no guessing from loose text
        PairwiseVerdict.Parse("<verdict>3</verdict>").IsParsed.Should().BeFalse();
    }

    [Fact]
    public void Candidate_choices_are_letters_in_range_or_equal()
    {
        CandidateChoice.Parse("\\boxed{B}", 3).Value.Should().Be(1);
        CandidateChoice.Parse("\\boxed{\\text{C}}", 3).Value.Should().Be(2);
        CandidateChoice.Parse("\\boxed{equal}", 3).Value.Should().BeNull();
        CandidateChoice.Parse("\\boxed{D}", 3).IsParsed.Should().BeFalse();
        CandidateChoice.Parse("\\boxed{AB}", 3).IsParsed.Should().BeFalse();
        CandidateChoice.Parse("I pick A", 3).IsParsed.Should().BeFalse();
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("**Yes.** The report finds no critical error.", true)]
    [InlineData("No", false)]
    [InlineData("The answer is no.", false)]
    public void Yes_no_classifications(string text, bool expected) => YesNo.Parse(text).Value.Should().Be(expected);

    [Theory]
    [InlineData("It depends.")]
    [InlineData("Maybe yes, maybe no")]
    [InlineData("Nobody knows")]
    public void Unclear_classifications_are_unparsable(string text) => YesNo.Parse(text).IsParsed.Should().BeFalse();

    [Fact]
    public void The_proof_section_excludes_the_self_evaluation()
    {
        ProofSection.Parse("## Solution\nBy induction.\n\n## Self-Evaluation\nAll good \\boxed{1}").Value.Should().Be("By induction.");
        ProofSection.Parse("intro\n## Solution\nP\n").Value.Should().Be("P");
        ProofSection.Parse("P only\n### Self Evaluation\n\\boxed{0}").Value.Should().Be("P only");
        ProofSection.Parse("no headings at all").IsParsed.Should().BeFalse();
        ProofSection.Parse("## Solution\n\n## Self-Evaluation\nx").IsParsed.Should().BeFalse();
    }

    [Fact]
    public void Marked_sections_split_at_their_heading()
    {
        MarkedSection.After("1. Summary\nS\n**2. Detailed Solution**\nThe proof.", "Detailed Solution").Value.Should().Be("The proof.");
        MarkedSection.Before("Summary\nfindings\n### Detailed Verification Log\nlog", "Detailed Verification").Value.Should().Be("Summary\nfindings");
        MarkedSection.After("no marker", "Detailed Solution").IsParsed.Should().BeFalse();
    }

    [Fact]
    public void Approaches_come_in_tags()
    {
        ApproachList.Parse("<approach>\nInduction on n.\n</approach>\n<approach>Invariants</approach>").Value.Should().Equal("Induction on n.", "Invariants");
        ApproachList.Parse("### Approach 1\nInduction").IsParsed.Should().BeFalse();
    }
}
