using Qed.Data;

namespace Qed.Tests.Data;

public class ModelReplyParserTests
{
    [Fact]
    public void A_classification_in_a_fenced_block_after_prose_is_read()
    {
        var reply = "Let me think. The proof is fine.\n```json\n{\"incomplete\": false, \"difficulty\": 7, \"gaps\": true, \"wrong\": false, \"disagreement\": false, \"computational\": false}\n```";
        ClassificationParser.Parse(reply).Value.Should().Be(new Classification(false, 7, true, false, false, false));
    }

    [Theory]
    [InlineData("{\"incomplete\": false, \"difficulty\": 11, \"gaps\": false, \"wrong\": false, \"disagreement\": false, \"computational\": false}", "'difficulty' is not an integer from 1 to 10")]
    [InlineData("{\"incomplete\": false, \"difficulty\": 6.5, \"gaps\": false, \"wrong\": false, \"disagreement\": false, \"computational\": false}", "'difficulty' is not an integer from 1 to 10")]
    [InlineData("{\"incomplete\": \"no\", \"difficulty\": 3, \"gaps\": false, \"wrong\": false, \"disagreement\": false, \"computational\": false}", "'incomplete' is not true/false")]
    [InlineData("{\"difficulty\": 3, \"gaps\": false, \"wrong\": false, \"disagreement\": false, \"computational\": false}", "'incomplete' is missing")]
    [InlineData("{\"incomplete\": false, \"difficulty\": 3,", "no JSON object in the reply")]
    [InlineData("", "empty reply")]
    public void An_invalid_classification_is_unparsable_with_the_reason(string reply, string reason)
    {
        var parse = ClassificationParser.Parse(reply);
        parse.Parsed.Should().BeFalse();
        parse.Error.Should().Contain(reason);
    }

    [Fact]
    public void A_scheme_summing_to_seven_is_ok_and_renders_for_a_judge()
    {
        var reply = """
            {"checkpoints": [{"description": "Reduce to the case n odd", "points": 2}, {"description": "Prove the bound", "points": 5}],
             "zero_credit": ["Checking n = 1, 2, 3"], "deductions": [{"description": "Missing the equality case", "points": -1}]}
            """;
        var parse = MarkingSchemeParser.Parse(reply);
        parse.Status.Should().Be(SchemeStatus.Ok);
        parse.Scheme!.Deductions.Single().Points.Should().Be(1);
        parse.Scheme.ToMarkdown().Should().Contain("- 2 pts: Reduce to the case n odd").And.Contain("- -1 pt: Missing the equality case");
    }

    [Fact]
    public void A_scheme_that_does_not_sum_to_seven_is_flagged_but_kept()
    {
        var parse = MarkingSchemeParser.Parse("{\"checkpoints\": [{\"description\": \"a\", \"points\": 3}, {\"description\": \"b\", \"points\": 3}]}");
        parse.Status.Should().Be(SchemeStatus.WrongTotal);
        parse.Error.Should().Be("checkpoints sum to 6, not 7");
        parse.Scheme!.Total.Should().Be(6);
    }

    [Theory]
    [InlineData("{\"checkpoints\": []}", "'checkpoints' is missing or empty")]
    [InlineData("{\"checkpoints\": [{\"description\": \"a\", \"points\": \"seven\"}]}", "checkpoints[0].points is not a whole number")]
    [InlineData("{\"checkpoints\": [{\"points\": 7}]}", "checkpoints[0].description is missing")]
    [InlineData("no json here", "no JSON object")]
    public void A_malformed_scheme_is_unparsable(string reply, string reason)
    {
        var parse = MarkingSchemeParser.Parse(reply);
        parse.Status.Should().Be(SchemeStatus.Unparsable);
        parse.Error.Should().Contain(reason);
    }
}
