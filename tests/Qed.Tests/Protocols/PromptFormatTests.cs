using Qed.Llm;
using Qed.Testing;

namespace Qed.Tests.Protocols;

public class PromptFormatTests
{
    [Fact]
    public void A_str_format_prompt_renders_fields_and_keeps_doubled_braces_as_literal_braces()
    {
        var t = PromptTemplate.Parse("judge", "Answer in \\boxed{{}}.\nProblem: {problem_statement}\nGold: {gold_answer} {{x}}", "judge.txt");
        t.Format.Should().Be(PromptSyntax.PythonFormat);
        t.Placeholders.Should().BeEquivalentTo(["problem_statement", "gold_answer"]);
        t.Render(new Dictionary<string, string?> { ["problem_statement"] = "Find {n}.", ["gold_answer"] = "3", ["unused"] = "ignored" })
            .Should().Be("Answer in \\boxed{}.\nProblem: Find {n}.\nGold: 3 {x}");
    }

    [Fact]
    public void Without_a_file_name_the_content_decides()
    {
        PromptTemplate.Parse("a", "Problem: {problem_statement}").Format.Should().Be(PromptSyntax.PythonFormat);
        // Ours may box a literal word ({equal}); a {{name}} placeholder keeps it ours.
        PromptTemplate.Parse("b", "{{problem}} then \\boxed{equal}").Format.Should().Be(PromptSyntax.DoubleBrace);
    }

    [Fact]
    public void Our_double_brace_prompts_are_read_as_before()
    {
        var t = PromptTemplate.Parse("ours", "Prove {{problem}} with $\\frac{a}{b}$.");
        t.Format.Should().Be(PromptSyntax.DoubleBrace);
        t.Render(new Dictionary<string, string?> { ["problem"] = "it" }).Should().Be("Prove it with $\\frac{a}{b}$.");
    }

    [Fact]
    public void A_txt_file_is_str_format_whatever_its_content()
    {
        using var dir = new TempDirectory();
        var t = PromptTemplate.FromFile(dir.Write("p.txt", "Only literal braces: {{}}"));
        t.Format.Should().Be(PromptSyntax.PythonFormat);
        t.Render(new Dictionary<string, string?>()).Should().Be("Only literal braces: {}");
    }

    [Theory]
    [InlineData("one {field with spaces}", "line 1")]
    [InlineData("line one\npositional {0}", "line 2")]
    [InlineData("a { without end", "line 1")]
    [InlineData("a lone } here {x}", "single '}'")]
    [InlineData("spec {x:>10}", "format spec")]
    public void Malformed_str_format_prompts_are_errors_naming_the_line(string text, string expected)
    {
        var act = () => new PromptTemplate("bad", text) { Format = PromptSyntax.PythonFormat }.Checked();
        act.Should().Throw<QedException>().WithMessage($"*{expected}*");
    }

    [Fact]
    public void A_missing_value_is_an_error_naming_the_placeholder()
    {
        var t = PromptTemplate.Parse("judge", "{problem_statement} and {student_answer}");
        var act = () => t.Render(new Dictionary<string, string?> { ["problem_statement"] = "p" });
        act.Should().Throw<QedException>().WithMessage("*student_answer*");
    }

    [Fact]
    public void Aliases_map_a_prompts_own_names_onto_the_values_a_scaffold_passes()
    {
        var t = PromptTemplate.Parse("rc", "P: {problem}\nS: {curr_summary}").WithAliases(new Dictionary<string, string> { ["curr_summary"] = "summary" });
        t.Render(new Dictionary<string, string?> { ["problem"] = "x", ["summary"] = "y" }).Should().Be("P: x\nS: y");
    }

    [Fact]
    public void A_prompt_override_file_in_str_format_works_where_ours_is_accepted()
    {
        using var dir = new TempDirectory();
        dir.Write("Grading/proof.txt", "MINE {problem_statement} {student_answer}");
        var t = new PromptLibrary(dir.Path).Get("Grading", "proof");
        t.Format.Should().Be(PromptSyntax.PythonFormat);
        t.Text.Should().StartWith("MINE");
        dir.Write("Grading/answer.md", "MINE TOO {problem_statement}");
        new PromptLibrary(dir.Path).Get("Grading", "answer").Format.Should().Be(PromptSyntax.PythonFormat);
    }
}
