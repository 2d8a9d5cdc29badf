using Qed.Answers;

namespace Qed.Tests.Answers;

public class AnswerCaseFileTests
{
    [Theory]
    [InlineData("{\"pred\": \"1\"}", "missing field 'gold'")]
    [InlineData("{\"gold\": 1, \"pred\": \"1\"}", "field 'gold' must be a string")]
    [InlineData("{\"gold\": \"1\", \"pred\": \"1\", \"expected\": \"yes\"}", "field 'expected'")]
    [InlineData("{\"gold\": \"1\", \"pred\": \"1\", \"options\": {\"precision\": \"six\"}}", "field 'options.precision'")]
    [InlineData("{\"gold\": \"1\", \"pred\": \"1\", \"options\": {\"match_types\": [\"latex\", \"words\"]}}", "field 'options.match_types'")]
    [InlineData("{\"gold\": \"1\", ", "not valid JSON")]
    [InlineData("{\"gold\": \"1\", \"pred\": \"1\", \"options\": {\"allow_set_relation_comp\": 1}}", "field 'options.allow_set_relation_comp'")]
    [InlineData("{\"gold\": \"1\", \"pred\": \"1\", \"options\": {\"float_rounding\": 2}}", "field 'options.float_rounding' is not a known option")]
    public async Task A_bad_line_names_the_file_the_line_and_the_field(string badLine, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"qed-answers-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllLinesAsync(path, ["{\"gold\": \"1\", \"pred\": \"1\", \"expected\": true}", "", badLine]);
        try
        {
            var read = async () => { await foreach (var _ in AnswerCaseFile.ReadAsync(path)) { } };
            var error = await read.Should().ThrowAsync<QedException>();
            error.Which.Message.Should().StartWith($"{path}:3:").And.Contain(expected);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public async Task Options_are_read_into_typed_answer_options()
    {
        var path = Path.Combine(Path.GetTempPath(), $"qed-answers-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllTextAsync(path, "{\"gold\": \"a\", \"pred\": \"b\", \"options\": {\"match_types\": [\"expr\"], \"precision\": 2, \"strict\": false}}\n");
        try
        {
            var cases = new List<AnswerCase>();
            await foreach (var c in AnswerCaseFile.ReadAsync(path)) cases.Add(c);
            cases.Should().ContainSingle();
            cases[0].Options.MatchTypes.Should().Equal("expr");
            cases[0].Options.Precision.Should().Be(2);
            cases[0].Options.Strict.Should().BeFalse();
            cases[0].Expected.Should().BeNull();
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Allow_set_relation_comp_is_honoured_in_both_directions()
    {
        // Math-Verify's rule: when false, a condition predicted for a set reference is not compared; a set predicted
        // for a condition is compared either way.
        AnswerCase Case(string json) => AnswerCaseFile.ParseLine("cases.jsonl", 1, json, AnswerOptions.Default);
        var off = Case("{\"gold\": \"[-2, 7]\", \"pred\": \"-2 \\\\le x \\\\le 7\", \"options\": {\"allow_set_relation_comp\": false}}");
        var on = Case("{\"gold\": \"[-2, 7]\", \"pred\": \"-2 \\\\le x \\\\le 7\", \"options\": {\"allow_set_relation_comp\": true}}");
        var setPredicted = Case("{\"gold\": \"-2 \\\\le x \\\\le 7\", \"pred\": \"[-2, 7]\", \"options\": {\"allow_set_relation_comp\": false}}");
        off.Options.AllowSetRelationComparison.Should().BeFalse();
        on.Options.AllowSetRelationComparison.Should().BeTrue();
        AnswerChecker.Check(off.Gold, off.Pred, off.Options).Verdict.Should().Be(AnswerVerdict.Different);
        AnswerChecker.Check(on.Gold, on.Pred, on.Options).Verdict.Should().Be(AnswerVerdict.Equivalent);
        AnswerChecker.Check(setPredicted.Gold, setPredicted.Pred, setPredicted.Options).Verdict.Should().Be(AnswerVerdict.Equivalent);
    }
}
