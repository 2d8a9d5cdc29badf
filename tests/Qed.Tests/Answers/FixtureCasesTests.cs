using Qed.Answers;
using Qed.Testing;

namespace Qed.Tests.Answers;

/// <summary>Hand-written cases in tests/fixtures/answers/cases.jsonl, one per feature (exactness, tuple order,
/// interval ends, function answers, ±, matrices, units, extraction…); each line says what it is about in "note".</summary>
public class FixtureCasesTests
{
    private static string FixturePath => Path.Combine(RepoPaths.Fixtures, "answers", "cases.jsonl");

    public static IEnumerable<object[]> Lines() =>
        File.ReadLines(FixturePath).Select((line, i) => (line, i)).Where(x => x.line.Trim().Length > 0).Select(x => new object[] { x.i + 1 });

    [Theory]
    [MemberData(nameof(Lines))]
    public void Fixture_case_gets_its_expected_verdict(int line)
    {
        var text = File.ReadLines(FixturePath).ElementAt(line - 1);
        var c = AnswerCaseFile.ParseLine(FixturePath, line, text, AnswerOptions.Default);
        var note = c.Raw.GetProperty("note").GetString();
        var check = AnswerChecker.Check(c.Gold, c.Pred, c.Options);
        check.Verdict.Should().Be(c.Expected!.Value ? AnswerVerdict.Equivalent : AnswerVerdict.Different,
            $"line {line} ({note}): gold [{check.GoldParsed}], pred [{check.PredParsed}], reason: {check.Reason}");
    }

    [Fact]
    public void Checking_in_parallel_gives_the_same_verdicts_as_one_thread()
    {
        var cases = File.ReadLines(FixturePath).Where(l => l.Trim().Length > 0)
            .Select((l, i) => AnswerCaseFile.ParseLine(FixturePath, i + 1, l, AnswerOptions.Default)).ToList();
        var sequential = cases.Select(c => AnswerChecker.Check(c.Gold, c.Pred, c.Options).Verdict).ToArray();
        var parallel = new AnswerVerdict[cases.Count];
        Parallel.For(0, cases.Count * 8, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            k => parallel[k % cases.Count] = AnswerChecker.Check(cases[k % cases.Count].Gold, cases[k % cases.Count].Pred, cases[k % cases.Count].Options).Verdict);
        parallel.Should().Equal(sequential);
    }
}
