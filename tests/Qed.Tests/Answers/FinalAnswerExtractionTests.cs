using Qed.Answers;

namespace Qed.Tests.Answers;

public class FinalAnswerExtractionTests
{
    [Theory]
    [InlineData("We get \\boxed{42}.", "42")]
    [InlineData("First \\boxed{1}; on reflection \\boxed{\\frac{3}{4}}", "\\frac{3}{4}")]
    [InlineData("Hence \\fbox{x = 2}", "x = 2")]
    [InlineData("Nested \\boxed{\\{1, \\{2\\}\\}} done", "\\{1, \\{2\\}\\}")]
    [InlineData("The roots are \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}.", "-2, 1")]
    [InlineData("Final Answer: The final answer is $(0, 1)$. I hope it is correct.", "(0, 1)")]
    [InlineData("Final Answer: The volume of $ABCD$ is 120. Done.", "120")]
    [InlineData("Thus \\[ \\frac{9}{4}\\pi \\]", "\\frac{9}{4}\\pi")]
    [InlineData("The answer is \\( 7 \\) apples", "7")]
    [InlineData("the values are $1$ and $2$", "1, 2")]
    [InlineData("so there are 12 sequences in all.", "12")]
    [InlineData("Price: $1,000.99", "1,000.99")]
    [InlineData("\\\\boxed{004}", "004")]
    [InlineData("Case 1 gives 10, case 2 gives 32.\n\nAnswer: 42", "42")]
    [InlineData("**Answer:** $x = 5$", "x = 5")]
    [InlineData("The answer is $\\frac{2}{3}$, since the other event has probability $\\frac{1}{3}$.", "\\frac{2}{3}")]
    [InlineData("I first thought the answer is 5. Redoing the count gives $6$.", "6")]
    [InlineData("The answer is 2/3.", "2/3")]
    [InlineData("So the number of ways is 1 000 000.", "1 000 000")]
    [InlineData("(a) $\\boxed{3}$ (b) $\\boxed{5}$", "(a) 3 (b) 5")]
    [InlineData("For part (a), the answer is $\\boxed{3}$. For part (b), it is $\\boxed{5}$.", "(a) 3 (b) 5")]
    public void Extracts_the_final_answer(string reply, string expected) =>
        FinalAnswerExtraction.Extract(reply).Should().Be(expected);

    [Theory]
    [InlineData("I could not find it, sorry.")]
    [InlineData("AZYUK2A")]
    [InlineData("")]
    [InlineData("The answer is \\boxed{5")]
    [InlineData("the answer is $\\frac{1}{2}")]
    [InlineData("Total:\n12\n345")]
    public void Returns_null_when_there_is_no_answer(string reply) =>
        FinalAnswerExtraction.Extract(reply).Should().BeNull();

    [Fact]
    public void A_thinking_models_answer_after_its_reasoning_wins()
    {
        FinalAnswerExtraction.Extract("<think>maybe \\boxed{3}? no...</think>\n\nThe answer is $\\boxed{4}$.").Should().Be("4");
        FinalAnswerExtraction.Extract("<think>so it is \\boxed{3}</think>\nI am done.").Should().Be("3", "nothing after </think>: the whole reply");
        FinalAnswerExtraction.Extract("<think>tried \\boxed{3}</think> The answer is 5.").Should().Be("5");
    }

    [Fact]
    public void The_last_number_wins_over_an_earlier_maths_span()
    {
        // Mirrors replies that end in prose: "... $d = 90/n$ ... Therefore there are 12 sequences."
        FinalAnswerExtraction.Extract("Let $d = \\frac{90}{n}$. Therefore there are 12 sequences.").Should().Be("12");
    }
}
