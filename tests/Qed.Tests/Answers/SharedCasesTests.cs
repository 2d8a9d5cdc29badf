using Qed.Answers;
using Qed.Testing;

namespace Qed.Tests.Answers;

/// <summary>
/// The 158 shared answer-equivalence cases (derived from Math-Verify's tests) must all agree.
/// No case is excluded: none of the expected verdicts was found mathematically wrong. Three follow
/// conventions rather than mathematics, and the checker follows them too:
/// line 62 (a chain "x = 5+5+1 = 1/3 ≈ 11" answers its last exact value, 1/3),
/// line 21 ("rac12 \$ = rac{10}{9}" answers its last value) and
/// line 158 (f(x) against f(y) is equivalent when the case sets strict = false: variables may be renamed).
/// </summary>
public class SharedCasesTests
{
    private const string CasesPath = "data/answer-equivalence/cases.jsonl";

    public static IEnumerable<object[]> Cases()
    {
        if (RepoPaths.Shared is null || !File.Exists(Path.Combine(RepoPaths.Shared, CasesPath))) return [];
        var path = SharedData.PathOf(CasesPath);
        return File.ReadLines(path).Select((line, i) => (line, i))
            .Where(x => !string.IsNullOrWhiteSpace(x.line))
            .Select(x => new object[] { x.i + 1 });
    }

    [SharedDataTheory(CasesPath)]
    [MemberData(nameof(Cases))]
    public void Shared_case_agrees_with_its_expected_verdict(int line)
    {
        var path = SharedData.PathOf(CasesPath);
        var c = AnswerCaseFile.ParseLine(path, line, File.ReadLines(path).ElementAt(line - 1), AnswerOptions.Default);
        var check = AnswerChecker.Check(c.Gold, c.Pred, c.Options);
        var expected = c.Expected!.Value ? AnswerVerdict.Equivalent : AnswerVerdict.Different;
        check.Verdict.Should().Be(expected,
            $"line {line}: gold parsed as [{check.GoldParsed}], pred parsed as [{check.PredParsed}], reason: {check.Reason}");
    }
}
