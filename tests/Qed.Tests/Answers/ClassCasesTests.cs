using System.Text.RegularExpressions;
using Qed.Answers;
using Qed.Testing;

namespace Qed.Tests.Answers;

/// <summary>
/// tests/fixtures/answers/classes.jsonl: over 300 hand-written cases for the classes of answers issue 17 names (digit-group
/// separators, prose, shown arithmetic, labelled references, multi-part replies, inequalities against intervals and
/// allow_set_relation_comp, empty sets, tuples against sets, malformed text), each with its origin. The targets:
/// no false "equivalent" at all, and at least 99% agreement.
/// </summary>
public class ClassCasesTests
{
    private static string FixturePath => Path.Combine(RepoPaths.Fixtures, "answers", "classes.jsonl");

    private static readonly string[] Classes =
    [
        "digit-separators", "prose", "shown-arithmetic", "labelled-gold", "multi-part", "inequalities-intervals",
        "empty-set", "tuples-sets", "malformed",
    ];

    private static List<AnswerCase> ReadCases() =>
        File.ReadLines(FixturePath).Select((line, i) => (line, i)).Where(x => x.line.Trim().Length > 0)
            .Select(x => AnswerCaseFile.ParseLine(FixturePath, x.i + 1, x.line, AnswerOptions.Default)).ToList();

    [Fact]
    public void The_file_has_300_cases_with_an_origin_covering_every_class()
    {
        var cases = ReadCases();
        cases.Should().HaveCountGreaterThanOrEqualTo(300);
        var classOf = new Regex(@"\(class: ([a-z-]+)\)");
        var counts = cases.GroupBy(c =>
        {
            c.Raw.TryGetProperty("origin", out var origin).Should().BeTrue($"line {c.Line} has an origin");
            var m = classOf.Match(origin.GetString()!);
            m.Success.Should().BeTrue($"line {c.Line} names its class");
            return m.Groups[1].Value;
        }).ToDictionary(g => g.Key, g => g.ToList());
        counts.Keys.Should().BeEquivalentTo(Classes);
        foreach (var (name, inClass) in counts)
        {
            inClass.Should().HaveCountGreaterThanOrEqualTo(20, name);
            // Every class has cases on both sides, so a checker that always says one thing cannot pass.
            inClass.Should().Contain(c => c.Expected == false, name);
            if (name != "malformed") inClass.Should().Contain(c => c.Expected == true, name);
        }
    }

    [Fact]
    public void No_case_is_a_false_equivalent_and_agreement_is_at_least_99_percent()
    {
        var cases = ReadCases();
        var falseEquivalent = new List<string>();
        var misses = new List<string>();
        foreach (var c in cases)
        {
            var check = AnswerChecker.Check(c.Gold, c.Pred, c.Options);
            var equivalent = check.Verdict == AnswerVerdict.Equivalent;
            if (equivalent == c.Expected) continue;
            var line = $"line {c.Line}: {check.Verdict}, gold [{check.GoldParsed}] pred [{check.PredParsed}] ({check.Reason})";
            misses.Add(line);
            if (equivalent) falseEquivalent.Add(line);
        }
        falseEquivalent.Should().BeEmpty();
        (cases.Count - misses.Count).Should().BeGreaterThanOrEqualTo((int)Math.Ceiling(0.99 * cases.Count), string.Join("\n", misses));
    }

    [SharedDataFact("data/answer-equivalence/cases.jsonl")]
    public void No_false_equivalent_on_the_shared_cases_either()
    {
        var path = SharedData.PathOf("data/answer-equivalence/cases.jsonl");
        var wrong = File.ReadLines(path).Select((line, i) => (line, i)).Where(x => x.line.Trim().Length > 0)
            .Select(x => AnswerCaseFile.ParseLine(path, x.i + 1, x.line, AnswerOptions.Default))
            .Where(c => c.Expected == false && AnswerChecker.Check(c.Gold, c.Pred, c.Options).Verdict == AnswerVerdict.Equivalent)
            .Select(c => c.Line).ToList();
        wrong.Should().BeEmpty();
    }
}
