using System.Diagnostics;
using Qed.Answers;

namespace Qed.Tests.Answers;

public class AnswerCheckerTests
{
    private static AnswerVerdict Verdict(string gold, string pred, AnswerOptions? options = null) =>
        AnswerChecker.Check(gold, pred, options).Verdict;

    [Fact]
    public void Huge_powers_are_compared_exactly()
    {
        var check = AnswerChecker.Check("2^{2025}", "2^{2025}+1");
        check.Verdict.Should().Be(AnswerVerdict.Different);
        check.GoldParsed.Should().Be("(2)^(2025)");
        Verdict("2^{2025}", "2\\cdot 2^{2024}").Should().Be(AnswerVerdict.Equivalent);
        Verdict("3^{500}-1", "3^{500}").Should().Be(AnswerVerdict.Different);
    }

    [Fact]
    public void A_float_tolerance_applies_only_when_a_side_is_a_decimal()
    {
        // 10^-7 apart: equal at 6 places when one side is written as a decimal…
        Verdict("\\frac{1}{3}", "0.3333334").Should().Be(AnswerVerdict.Equivalent);
        // …but exact fractions must match exactly.
        Verdict("\\frac{1}{3}", "\\frac{3333334}{10000000}").Should().Be(AnswerVerdict.Different);
        Verdict("\\frac{1}{3}", "0.33", new AnswerOptions { Precision = 2 }).Should().Be(AnswerVerdict.Equivalent);
        Verdict("\\frac{1}{3}", "0.33").Should().Be(AnswerVerdict.Different);
    }

    [Fact]
    public void Tuple_order_matters_but_set_and_list_order_does_not()
    {
        Verdict("(3, 5)", "(5, 3)").Should().Be(AnswerVerdict.Different);
        Verdict("\\{3, 5\\}", "\\{5, 3\\}").Should().Be(AnswerVerdict.Equivalent);
        Verdict("3, 5", "5, 3").Should().Be(AnswerVerdict.Equivalent);
        Verdict("(1,2),(3,4)", "(3,4),(1,2)").Should().Be(AnswerVerdict.Equivalent);
    }

    [Fact]
    public void Interval_ends_must_agree_open_or_closed()
    {
        Verdict("[2, 5)", "[2, 5]").Should().Be(AnswerVerdict.Different);
        Verdict("[2, 5)", "2 \\le x < 5").Should().Be(AnswerVerdict.Equivalent);
        Verdict("(2, 5)", "(2, 5]").Should().Be(AnswerVerdict.Different);
        Verdict("(-\\infty, 0] \\cup [1, \\infty)", "x \\le 0 \\text{ or } x \\ge 1").Should().Be(AnswerVerdict.Equivalent);
        Verdict("(-\\infty, 0] \\cup [1, \\infty)", "x < 0 \\text{ or } x \\ge 1").Should().Be(AnswerVerdict.Different);
    }

    [Fact]
    public void Function_answers_compare_their_right_hand_sides_as_identities()
    {
        Verdict("f(x) = 2x + c", "c + 2x").Should().Be(AnswerVerdict.Equivalent);
        Verdict("f(x) = 2x + c", "f(x) = c + x + x").Should().Be(AnswerVerdict.Equivalent);
        Verdict("f(x) = 2x + c", "2x + 2c").Should().Be(AnswerVerdict.Different);
        Verdict("x = 5", "5").Should().Be(AnswerVerdict.Equivalent);
        Verdict("7 = 11a + c", "11a + c").Should().Be(AnswerVerdict.Different);
    }

    [Fact]
    public void Strict_mode_keeps_variable_names_and_lenient_mode_renames()
    {
        Verdict("f(x)", "f(y)").Should().Be(AnswerVerdict.Different);
        Verdict("f(x)", "f(y)", new AnswerOptions { Strict = false }).Should().Be(AnswerVerdict.Equivalent);
        Verdict("x^2 + y", "a^2 + b", new AnswerOptions { Strict = false }).Should().Be(AnswerVerdict.Equivalent);
    }

    [Fact]
    public void A_prediction_without_an_answer_is_different_and_a_gold_without_one_is_undecided()
    {
        var noPred = AnswerChecker.Check("2", "   ");
        noPred.Verdict.Should().Be(AnswerVerdict.Different);
        noPred.PredParsed.Should().BeNull();
        AnswerChecker.Check("2", "I could not solve this problem.").Verdict.Should().Be(AnswerVerdict.Undecided,
            "a worded reply goes to the judge rather than being guessed");
        AnswerChecker.Check("", "2").Verdict.Should().Be(AnswerVerdict.Undecided);
    }

    [Fact]
    public void Worded_answers_match_as_text_and_otherwise_go_to_a_judge()
    {
        Verdict("No positive integers", "no positive integers.").Should().Be(AnswerVerdict.Equivalent);
        Verdict("no solutions", "there are none").Should().Be(AnswerVerdict.Undecided);
        Verdict("n is prime", "12").Should().Be(AnswerVerdict.Undecided);
        Verdict("$P(n)=(n+2a)^{2}-2a^{2}$ for some nonnegative integer $a$", "\\boxed{P(n)=(n+2a)^{2}-2a^{2} \\text{ for some nonnegative integer } a}")
            .Should().Be(AnswerVerdict.Equivalent);
        Verdict("odd $n$", "\\boxed{n \\text{ odd}}").Should().Be(AnswerVerdict.Undecided, "never letters o*d*d*n");
        Verdict("1 if the triangle is isosceles, otherwise 2", "2").Should().Be(AnswerVerdict.Undecided, "not the last number of the gold");
    }

    [Fact]
    public void A_reply_that_ends_its_reasoning_without_an_answer_is_read_whole()
    {
        Verdict("3", "<think>so it is \\boxed{3}</think>\nI am done.").Should().Be(AnswerVerdict.Equivalent);
        Verdict("3", "<think>first \\boxed{3}</think>\nFinal: \\boxed{4}").Should().Be(AnswerVerdict.Different);
    }

    [Fact]
    public void Unparsable_answers_are_equivalent_only_as_identical_text()
    {
        Verdict("\\mathfrak{g}", "\\mathfrak{g}").Should().Be(AnswerVerdict.Equivalent);
        var check = AnswerChecker.Check("\\mathfrak{g}", "\\mathfrak{h}");
        check.Verdict.Should().Be(AnswerVerdict.Undecided);
        check.Reason.Should().Contain("not parsed");
    }

    [Fact]
    public void An_answer_past_the_size_limit_is_undecided()
    {
        var huge = AnswerChecker.Check("2^{2^{40}}", "2^{2^{40}}+1");
        huge.Verdict.Should().Be(AnswerVerdict.Undecided);
        huge.Reason.Should().Contain("exponent too large");

        var bits = AnswerChecker.Check("3^{900000}", "3^{900000}+1");
        bits.Verdict.Should().Be(AnswerVerdict.Undecided);
        bits.Reason.Should().Contain("size limit");

        var longAnswer = "\\boxed{" + string.Join("+", Enumerable.Repeat("1", 4000)) + "}";
        AnswerChecker.Check(longAnswer, "4000").Reason.Should().Contain("longer than");

        var input = new string('x', 2000);
        AnswerChecker.Check("1", input, new AnswerOptions { MaxInputChars = 1000 }).Verdict.Should().Be(AnswerVerdict.Undecided);
    }

    [Fact]
    public void A_check_past_its_time_limit_is_undecided_and_returns_promptly()
    {
        // Two thousand factorials of up to 2000 digits each: far more than 5 ms of work.
        const string slow = "\\sum_{k=1}^{2000} k! \\cdot \\binom{2000}{k}";
        var clock = Stopwatch.StartNew();
        var check = AnswerChecker.Check(slow, "1", new AnswerOptions { Timeout = TimeSpan.FromMilliseconds(5) });
        clock.Stop();
        check.Verdict.Should().Be(AnswerVerdict.Undecided);
        check.Reason.Should().Contain("time limit");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData("\\(")]
    [InlineData("$")]
    [InlineData("$$ x")]
    [InlineData("\\boxed{")]
    [InlineData("final answer is ")]
    [InlineData("1,")]
    public void A_hostile_megabyte_reply_is_handled_in_linear_time(string piece)
    {
        var reply = string.Concat(Enumerable.Repeat(piece, 900_000 / piece.Length));
        var clock = Stopwatch.StartNew();
        var check = AnswerChecker.Check("1", reply);
        clock.Stop();
        check.Reason.Should().NotStartWith("checker fault");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Cancelling_the_token_throws_instead_of_deciding()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var act = () => AnswerChecker.Check("\\sum_{k=1}^{2000} k!", "1", null, cts.Token);
        act.Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Deeply_nested_input_is_undecided_not_a_crash()
    {
        var nested = "\\boxed{" + new string('(', 1000) + "1" + new string(')', 1000) + "}";
        var check = AnswerChecker.Check(nested, "1");
        check.Verdict.Should().Be(AnswerVerdict.Undecided);
        check.Reason.Should().Contain("nested too deeply");
        var fractions = "\\boxed{" + string.Concat(Enumerable.Repeat("\\frac{1}{", 400)) + "2" + new string('}', 400) + "}";
        AnswerChecker.Check(fractions, "2").Verdict.Should().Be(AnswerVerdict.Undecided);
    }

    [Fact]
    public void The_result_says_what_each_side_was_understood_as()
    {
        var check = AnswerChecker.Check("$\\frac{1}{2}$", "The final answer is $0.5$. I hope it is correct.");
        check.Verdict.Should().Be(AnswerVerdict.Equivalent);
        check.GoldParsed.Should().Be("(2)^(-1)");
        check.PredParsed.Should().Be("1/2");
        check.Reason.Should().NotBeNullOrWhiteSpace();
    }
}
