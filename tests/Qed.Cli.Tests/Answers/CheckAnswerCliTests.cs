using System.Text.Json;
using Qed.Testing;

namespace Qed.Cli.Tests.Answers;

/// <summary><c>qed check-answer</c> as a script would call it: the verdict word, its exit code, JSON, and case files.</summary>
public class CheckAnswerCliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(@"\frac{1}{2}", "0.5", "equivalent", 0)]
    [InlineData("2^{2025}", "2^{2025}+1", "different", 1)]
    [InlineData("(1, 2)", "(2, 1)", "different", 1)]
    [InlineData(@"\{1, 2\}", @"\{2, 1\}", "equivalent", 0)]
    [InlineData("no solutions", "there are none", "undecided", 2)]
    public async Task Prints_the_verdict_and_exits_with_its_code(string gold, string pred, string word, int exitCode)
    {
        var result = await QedProcess.RunAsync(Path.GetTempPath(), null, Timeout, "check-answer", "--gold", gold, "--pred", pred);
        result.StdOut.Trim().Should().Be(word);
        result.ExitCode.Should().Be(exitCode);
    }

    [Fact]
    public async Task Json_names_both_parses_and_the_reason()
    {
        var result = await QedProcess.RunAsync(Path.GetTempPath(), null, Timeout,
            "check-answer", "--gold", "[0,1)", "--pred", @"x \in [0,1]", "--json");
        result.ExitCode.Should().Be(1);
        using var doc = JsonDocument.Parse(result.StdOut);
        doc.RootElement.GetProperty("verdict").GetString().Should().Be("different");
        doc.RootElement.GetProperty("gold_parsed").GetString().Should().NotBeNullOrEmpty();
        doc.RootElement.GetProperty("pred_parsed").GetString().Should().NotBeNullOrEmpty();
        doc.RootElement.GetProperty("reason").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task A_case_file_gets_one_verdict_line_per_case_and_a_summary()
    {
        using var dir = new TempDirectory();
        var cases = Path.Combine(dir.Path, "cases.jsonl");
        var outFile = Path.Combine(dir.Path, "verdicts.jsonl");
        await File.WriteAllLinesAsync(cases,
        [
            """{"gold": "3", "pred": "\\boxed{3}", "expected": true}""",
            """{"gold": "1.5", "pred": "1.48", "expected": false, "options": {"precision": 2}}""",
            """{"gold": "(1,2)", "pred": "(2,1)", "expected": true}""",
        ]);
        var result = await QedProcess.RunAsync(dir.Path, null, Timeout, "check-answer", "--cases", cases, "--out", outFile);
        result.ExitCode.Should().Be(0, result.StdErr);
        var lines = await File.ReadAllLinesAsync(outFile);
        lines.Should().HaveCount(3);
        lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("verdict").GetString())
            .Should().Equal("equivalent", "different", "different");
        // The third case's expectation is wrong on purpose: agreement must count it as a disagreement.
        result.StdOut.Should().Contain("3 cases").And.Contain("2/3").And.Contain("cases/s");
    }

    [Fact]
    public async Task Bad_input_is_a_one_line_reason_with_an_exit_code_no_verdict_uses()
    {
        using var dir = new TempDirectory();
        var cases = Path.Combine(dir.Path, "bad.jsonl");
        await File.WriteAllLinesAsync(cases, ["""{"gold": "1", "pred": "1"}""", """{"gold": "1"}"""]);
        var result = await QedProcess.RunAsync(dir.Path, null, Timeout, "check-answer", "--cases", cases);
        result.ExitCode.Should().Be(64);
        result.StdErr.Trim().Split('\n').Should().ContainSingle();
        result.StdErr.Should().Contain("bad.jsonl").And.Contain(":2").And.Contain("pred");

        var missing = await QedProcess.RunAsync(dir.Path, null, Timeout, "check-answer", "--gold", "1");
        missing.ExitCode.Should().Be(64);
        missing.StdErr.Should().Contain("--pred");
    }

    [Theory]
    [InlineData(@"\frac{1}{2}", "0.5", "equivalent", 0)]
    [InlineData("12345", @"12\,345", "equivalent", 0)]
    [InlineData("(1, 2)", "(2, 1)", "different", 1)]
    public async Task Gold_and_pred_may_be_given_as_positional_arguments(string gold, string pred, string word, int exitCode)
    {
        var result = await QedProcess.RunAsync(Path.GetTempPath(), null, Timeout, "check-answer", gold, pred);
        result.StdOut.Trim().Should().Be(word, result.StdErr);
        result.ExitCode.Should().Be(exitCode);
    }

    [Fact]
    public async Task Malformed_latex_is_bad_input_not_undecided()
    {
        var positional = await QedProcess.RunAsync(Path.GetTempPath(), null, Timeout, "check-answer", "0.5", @"\frac{1}{2");
        positional.ExitCode.Should().Be(64);
        positional.StdOut.Should().BeEmpty();
        positional.StdErr.Trim().Split('\n').Should().ContainSingle();
        positional.StdErr.Should().Contain("PRED").And.Contain("never closed");

        var flags = await QedProcess.RunAsync(Path.GetTempPath(), null, Timeout, "check-answer", "--gold", @"\begin{pmatrix} 1", "--pred", "1");
        flags.ExitCode.Should().Be(64);
        flags.StdErr.Should().Contain("GOLD");

        var both = await QedProcess.RunAsync(Path.GetTempPath(), null, Timeout, "check-answer", "1", "1", "--gold", "1");
        both.ExitCode.Should().Be(64);
    }
}
