using Qed.Llm;
using Qed.Testing;

namespace Qed.Tests.Llm;

public class ModelConfigTests
{
    [Fact]
    public void Reads_the_original_field_names_and_passes_unknown_fields_through_with_one_warning()
    {
        var warnings = new List<string>();
        var config = ModelConfigLoader.Parse("m.yaml", """
            model: "lm-provers/QED-Nano"
            api: custom
            base_url: [http://a:8000/v1, http://b:8000/v1]
            max_tokens: 49152
            temperature: 0.8
            top_p: 0.95
            top_k: 20
            delimiters:
            - </think>
            read_cost: 0.5
            write_cost: 2
            concurrent_requests: 8
            human_readable_id: nano
            min_p: 0.05
            repetition_penalty: 1.1
            """, warnings.Add);

        config.Model.Should().Be("lm-provers/QED-Nano");
        config.BaseUrls.Should().Equal("http://a:8000/v1", "http://b:8000/v1");
        config.MaxTokens.Should().Be(49152);
        config.TopK.Should().Be(20);
        config.Delimiters.Should().Equal("</think>");
        config.ConcurrentRequests.Should().Be(8);
        config.PassThrough.Keys.Should().BeEquivalentTo("min_p", "repetition_penalty");
        warnings.Should().ContainSingle().Which.Should().Contain("min_p").And.Contain("repetition_penalty");
    }

    [Fact]
    public void Bad_values_name_file_line_and_field()
    {
        var act = () => ModelConfigLoader.Parse("bad.yaml", "model: x\nbase_url: http://h/v1\nmax_tokens: lots\n");
        act.Should().Throw<QedException>().WithMessage("bad.yaml:3: field 'max_tokens'*");
        var noUrl = () => ModelConfigLoader.Parse("c.yaml", "model: x\napi: custom\n");
        noUrl.Should().Throw<QedException>().WithMessage("*field 'base_url'*");
        var broken = () => ModelConfigLoader.Parse("d.yaml", "model: [x\n");
        broken.Should().Throw<QedException>().WithMessage("d.yaml:*malformed YAML*");
    }

    [Fact]
    public void Effort_suffix_and_api_defaults_follow_the_original_harness()
    {
        var c = ModelConfigLoader.Parse("gpt.yaml", "model: gpt-5.1--high\napi: openai\nuse_openai_responses_api: true\n");
        c.Model.Should().Be("gpt-5.1");
        c.ReasoningEffort.Should().Be("high");
        c.BaseUrls.Should().Equal("https://api.openai.com/v1");
        c.ApiKeyEnv.Should().Be("OPENAI_API_KEY");
    }

    [Fact]
    public void Identity_ignores_endpoints_and_prices_but_not_sampling()
    {
        var a = ModelConfigLoader.Parse("a.yaml", "model: m\nbase_url: http://a/v1\ntemperature: 0.6\nread_cost: 1\n");
        var b = ModelConfigLoader.Parse("b.yaml", "model: m\nbase_url: [http://b/v1, http://c/v1]\ntemperature: 0.6\nread_cost: 3\n");
        var c = ModelConfigLoader.Parse("a.yaml", "model: m\nbase_url: http://a/v1\ntemperature: 0.7\n");
        a.ContentHash().Should().Be(b.ContentHash());
        a.ContentHash().Should().NotBe(c.ContentHash());
    }

    [Fact]
    public void Every_shipped_config_loads()
    {
        var locations = ConfigLocations.Default(RepoPaths.Root);
        var dir = Path.Combine(RepoPaths.Root, "configs", "models");
        var files = Directory.GetFiles(dir, "*.yaml", SearchOption.AllDirectories);
        files.Should().NotBeEmpty();
        foreach (var f in files)
        {
            var name = Path.GetRelativePath(dir, f)[..^5];
            var warnings = new List<string>();
            var config = ModelConfigLoader.Load(name, locations, warnings.Add);
            config.BaseUrls.Should().NotBeEmpty(name);
            warnings.Should().BeEmpty(name);
        }
        ModelConfigLoader.Load("vllm/qed-nano", locations).BaseUrls.Should().Equal("http://localhost:8000/v1");
    }
}

public class ReasoningSplitTests
{
    private static readonly string[] Think = ["</think>"];

    [Fact]
    public void Splits_at_the_last_delimiter()
    {
        var p = ReasoningSplit.Split("I think </think> is a tag. More thought.</think>\n\nThe proof.", null, Think, false);
        p.Answer.Should().Be("The proof.");
        p.Reasoning.Should().Be("I think </think> is a tag. More thought.");
        p.ThinkingClosed.Should().BeTrue();
    }

    [Fact]
    public void Unclosed_thinking_cut_by_length_has_no_answer()
    {
        var p = ReasoningSplit.Split("<think>Suppose n is even, then", null, Think, cutOffByLength: true);
        p.Answer.Should().BeEmpty();
        p.ThinkingClosed.Should().BeFalse();
        p.Reasoning.Should().Be("Suppose n is even, then");
    }

    [Fact]
    public void A_reasoning_field_wins_and_plain_replies_pass_unchanged()
    {
        ReasoningSplit.Split("Answer", "thoughts", Think, false).Should().Be(new ReplyParts("Answer", "thoughts", true));
        ReasoningSplit.Split("", "thoughts", Think, true).ThinkingClosed.Should().BeFalse();
        ReasoningSplit.Split(" Just text ", null, Think, false).Should().Be(new ReplyParts("Just text", null, true));
        ReasoningSplit.Split("a final<|message|>b", null, ["</think>", "final<|message|>"], false).Answer.Should().Be("b");
    }
}

public class PromptTemplateTests
{
    [Fact]
    public void Renders_placeholders_once_and_refuses_missing_values()
    {
        var t = new PromptTemplate("t", "Problem: {{problem}}\nProof: {{ proof }}");
        t.Render(new Dictionary<string, string?> { ["problem"] = "{{proof}}", ["proof"] = "x" }).Should().Be("Problem: {{proof}}\nProof: x");
        var act = () => t.Render(new Dictionary<string, string?> { ["problem"] = "p" });
        act.Should().Throw<QedException>().WithMessage("*proof*");
    }

    [Fact]
    public void Cost_is_per_million_tokens()
    {
        new ModelPricing(2, 12).CostOf(1_000_000, 500_000).Should().BeApproximately(8.0, 1e-12);
    }
}
