using Qed.Answers;

namespace Qed.Tests.Answers;

public class LatexWellFormednessTests
{
    [Theory]
    [InlineData(@"\frac{1}{2", "never closed")]
    [InlineData(@"\frac{1}}{2}", "closes nothing")]
    [InlineData(@"\begin{pmatrix} 1 & 2", @"\begin{pmatrix}")]
    [InlineData(@"\begin{pmatrix} 1 \end{bmatrix}", "closes")]
    [InlineData(@"\left( x", @"\left")]
    [InlineData(@"x \right)", @"\right")]
    [InlineData(@"$\frac{1}{2}", "'$'")]
    [InlineData(@"\( x", @"\(")]
    public void Malformed_latex_is_named_with_its_place(string text, string expected) =>
        LatexWellFormedness.Problem(text).Should().NotBeNull().And.Contain(expected);

    [Theory]
    [InlineData(@"\frac{1}{2}")]
    [InlineData(@"\{1, 2\}")]
    [InlineData(@"\left\{ x \right\}")]
    [InlineData(@"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}")]
    [InlineData(@"$x$ and $$y$$")]
    [InlineData(@"costs $5")]
    [InlineData(@"\$5 and \$6")]
    [InlineData("no solutions")]
    [InlineData(@"\boxed{\frac{3}{4}}")]
    public void Well_formed_latex_passes(string text) => LatexWellFormedness.Problem(text).Should().BeNull();
}
