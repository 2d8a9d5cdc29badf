using System.Diagnostics;
using Qed.Answers;

namespace Qed.Tests.Answers;

/// <summary>Random LaTeX-like input: every check returns a verdict within its limit and never reports a fault.</summary>
public class RobustnessTests
{
    private static readonly string[] Pieces =
    [
        "1", "23", "0.5", "x", "y", "n", "e", "i", "\\pi", "+", "-", "*", "/", "^", "_", "(", ")", "[", "]", "{", "}", "\\{", "\\}",
        ",", ";", ":", "=", "<", "\\le", "\\ge", "\\pm", "|", "!", "%", "\\frac", "\\sqrt", "\\sqrt[3]", "\\sin", "\\log", "\\ln",
        "\\binom", "\\lfloor", "\\rfloor", "\\cup", "\\infty", "\\text{ and }", "\\text{cm}", "$", "\\boxed{", "\\left(", "\\right)",
        "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "\\sum_{k=1}^{n}", "f(", "2^{100}", "\\cdot", " ", "\\infty)", "or", "for all",
    ];

    [Fact]
    public void Random_inputs_never_fault_or_hang()
    {
        var random = new Random(20251122);
        var options = new AnswerOptions { Timeout = TimeSpan.FromMilliseconds(200) };
        var faults = new List<string>();
        for (var k = 0; k < 3000; k++)
        {
            var gold = Random(random);
            var pred = random.Next(4) == 0 ? gold : Random(random);
            var clock = Stopwatch.StartNew();
            var check = AnswerChecker.Check(gold, pred, options);
            clock.Stop();
            if (check.Reason.StartsWith("checker fault", StringComparison.Ordinal)) faults.Add($"[{gold}] vs [{pred}]: {check.Reason}");
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(2), $"[{gold}] vs [{pred}]");
            if (gold == pred && check.Verdict == AnswerVerdict.Different) faults.Add($"[{gold}] differs from itself: {check.Reason}");
        }
        faults.Should().BeEmpty();
    }

    private static string Random(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(1, 14)).Select(_ => Pieces[random.Next(Pieces.Length)]));
}
