using Qed.Viewer.Rendering;

namespace Qed.Viewer.Tests.Viewer;

public class ProofMarkdownTests
{
    private readonly ProofMarkdown _markdown = new();

    [Fact]
    public void Tex_survives_markdown_untouched()
    {
        var html = _markdown.ToHtml("Let $a_1 * b_2$ and $$\\sum_{i=1}^n x_i^2 \\\\ y$$ then \\(x_*\\) and \\[ \\frac{a}{b} \\].");
        html.Should().Contain("<span class=\"tex\">a_1 * b_2</span>");
        html.Should().Contain("<span class=\"tex tex-display\">\\sum_{i=1}^n x_i^2 \\\\ y</span>");
        html.Should().Contain("<span class=\"tex\">x_*</span>");
        html.Should().Contain("<span class=\"tex tex-display\"> \\frac{a}{b} </span>");
        html.Should().NotContain("<em>");
    }

    [Fact]
    public void Align_environments_are_display_math()
    {
        var html = _markdown.ToHtml("We have\n\\begin{align*}\na &= b_1 \\\\\n  &= c_2\n\\end{align*}\ndone");
        html.Should().Contain("<span class=\"tex tex-display\">\\begin{align*}\na &amp;= b_1 \\\\\n  &amp;= c_2\n\\end{align*}</span>");
    }

    [Fact]
    public void Dollar_amounts_and_code_are_not_math()
    {
        var html = _markdown.ToHtml("It costs $5 and $6 today. Code: `$x$` and\n\n```\n$$ y $$\n```\n");
        html.Should().NotContain("class=\"tex");
        html.Should().Contain("<code>$x$</code>");
    }

    [Fact]
    public void Inline_math_with_a_space_before_the_closing_dollar_is_math_when_it_is_plainly_tex()
    {
        // IMO-ProofBench PB-Basic-006 writes the sequence this way.
        var html = _markdown.ToHtml("Consider the sequence $c_0, c_1, c_2, \\ldots $ of integers and $x^2 $ too.");
        html.Should().Contain("<span class=\"tex\">c_0, c_1, c_2, \\ldots </span>");
        html.Should().Contain("<span class=\"tex\">x^2 </span>");
        html.Should().NotContain("$");

        // Money with a space before a later dollar stays text.
        var money = _markdown.ToHtml("It costs $5 or so $ and then $x$ holds.");
        money.Should().Contain("$5 or so $").And.Contain("<span class=\"tex\">x</span>");
    }

    [Fact]
    public void Tex_is_html_escaped()
    {
        var html = _markdown.ToHtml("$a < b ></span><script>x()</script>$");
        html.Should().NotContain("<script>");
        html.Should().Contain("&lt;script&gt;");
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("<img src=x onerror=alert(1)>")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>")]
    [InlineData("<iframe src=\"http://example.com\"></iframe>")]
    public void Raw_html_is_escaped(string payload)
    {
        var html = _markdown.ToHtml("Proof. " + payload + "\n\n" + payload);
        html.Should().NotContain("<script").And.NotContain("<img").And.NotContain("<a href=\"javascript").And.NotContain("<iframe");
    }

    [Theory]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JAVASCRIPT:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("[click](vbscript:msgbox)")]
    [InlineData("<javascript:alert(1)>")]
    [InlineData("[click][r]\n\n[r]: javascript:alert(1)")]
    [InlineData("[click](//evil.example/x)")]
    public void Dangerous_links_lose_their_target(string payload)
    {
        var html = _markdown.ToHtml(payload);
        var hrefs = System.Text.RegularExpressions.Regex.Matches(html, "href=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        hrefs.Where(h => h.Length > 0 && !h.StartsWith("http://") && !h.StartsWith("https://")).Should().BeEmpty();
        html.Should().NotContain("<a href=\"javascript").And.NotContain("src=");
    }

    [Fact]
    public void Http_links_stay_and_images_become_links()
    {
        var html = _markdown.ToHtml("See [the paper](https://arxiv.org/abs/1) and ![plot](http://example.com/p.png).");
        html.Should().Contain("href=\"https://arxiv.org/abs/1\"");
        html.Should().NotContain("<img");
        html.Should().Contain("href=\"http://example.com/p.png\"");
        html.Should().Contain("rel=\"nofollow noopener noreferrer\"");
    }

    [Fact]
    public void Generic_attribute_syntax_adds_nothing()
    {
        var html = _markdown.ToHtml("# Title {onclick=alert(1)}\n\ntext {#x onmouseover=alert(1)}");
        html.Should().NotContain("onclick=\"").And.NotContain("onmouseover=\"");
    }

    [Fact]
    public void Math_inside_a_link_target_goes_back_as_text_not_markup()
    {
        var html = _markdown.ToHtml("[a](https://example.com/$x$ \"t $y$\")");
        html.Should().NotContain("href=\"https://example.com/<span");
        html.Should().NotContain("title=\"t <span");
    }

    [Fact]
    public void Placeholder_prefix_in_the_text_does_not_collide()
    {
        var html = _markdown.ToHtml("qedmath0z and $x$");
        html.Should().Contain("qedmath0z and <span class=\"tex\">x</span>");
    }
}
