using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Qed.Llm;
using Qed.Protocols;
using Qed.Testing;

namespace Qed.Tests.Llm;

/// <summary>Model configs written the original harness's way (every field its configs use), loaded and sent as it sends them.</summary>
public class OriginalModelConfigTests
{
    private const string Original = """
        model: "lm-provers/QED-Nano"
        model_revision: "main"
        api: custom
        api_key_env: FIXTURE_VLLM_KEY
        base_url: http://localhost:8000/v1
        max_tokens: 229376
        prompt_margin: 32768
        delimiters:
        - </think>  # reasoning models
        - final<|message|> # gpt-oss models
        read_cost: 0.0
        write_cost: 0.0
        concurrent_requests: 16
        human_readable_id: fixture/QED-Nano
        date: "2026-02-12"
        temperature: 0.8
        top_p: 1.0
        top_k: -1
        """;

    [Fact]
    public void An_original_vllm_config_loads_without_warnings_and_sends_none_of_its_bookkeeping()
    {
        var warnings = new List<string>();
        var c = ModelConfigLoader.Parse("vllm-fixture.yaml", Original, warnings.Add);
        warnings.Should().BeEmpty();
        c.Model.Should().Be("lm-provers/QED-Nano");
        c.MaxTokens.Should().Be(229376);
        c.Delimiters.Should().Equal("</think>", "final<|message|>");
        c.TopK.Should().Be(-1);
        c.PassThrough.Should().BeEmpty();
        c.TimeoutFromConfig.Should().BeFalse();
    }

    [Fact]
    public void Under_the_original_protocol_a_config_without_timeout_gets_the_originals_and_the_delimiter_rule()
    {
        var c = Protocol.Ours.AdjustModel(ModelConfigLoader.Parse("a.yaml", Original));
        c.Timeout.Should().Be(3600);
        c.OriginalReplySplit.Should().BeFalse();
        var nano = new Protocol("qed-nano", new OriginalPrompts(T(), T(), T(), T(), T()), null);
        var adjusted = nano.AdjustModel(ModelConfigLoader.Parse("a.yaml", Original));
        adjusted.Timeout.Should().Be(18000);
        adjusted.OriginalReplySplit.Should().BeTrue();
        adjusted.ContentHash().Should().NotBe(c.ContentHash());
        nano.AdjustModel(ModelConfigLoader.Parse("b.yaml", Original + "\ntimeout: 60\n")).Timeout.Should().Be(60);

        static PromptTemplate T() => new("t", "x");
    }

    [Fact]
    public void Glm_is_a_known_api_with_its_base_url_and_key()
    {
        var c = ModelConfigLoader.Parse("glm.yaml", "model: glm-4.6\napi: glm\nmax_tokens: 122880\nconcurrent_requests: 60\ntemperature: 1\ntop_p: null\nread_cost: 0.6\nwrite_cost: 2.2\n");
        c.BaseUrls.Should().Equal("https://api.z.ai/api/paas/v4");
        c.ApiKeyEnv.Should().Be("GLM_API_KEY");
        c.TopP.Should().BeNull();
    }

    [Theory]
    [InlineData("max_tokenz: 100", "max_tokens")]
    [InlineData("temprature: 0.7", "temperature")]
    [InlineData("reasoning_efort: high", "reasoning_effort")]
    [InlineData("delimters: [x]", "delimiters")]
    public void A_near_miss_of_a_known_field_is_an_error_with_a_did_you_mean(string line, string suggestion)
    {
        var act = () => ModelConfigLoader.Parse("typo.yaml", $"model: m\nbase_url: http://127.0.0.1:9/v1\n{line}\n");
        act.Should().Throw<QedException>().WithMessage($"typo.yaml:3: field '*did you mean '{suggestion}'*extra_body*");
    }

    [Fact]
    public void Genuine_server_parameters_still_pass_through_with_one_warning()
    {
        var warnings = new List<string>();
        var c = ModelConfigLoader.Parse("p.yaml", "model: m\nbase_url: http://127.0.0.1:9/v1\nmin_p: 0.05\nmin_tokens: 10\nrepetition_penalty: 1.1\ncustom_knob: 3\n", warnings.Add);
        c.PassThrough.Keys.Should().BeEquivalentTo(["min_p", "min_tokens", "repetition_penalty", "custom_knob"]);
        warnings.Should().ContainSingle().Which.Should().Contain("custom_knob");
    }

    [Fact]
    public void An_agent_config_is_not_a_model_config()
    {
        var act = () => ModelConfigLoader.Parse("agent.yaml", "type: agent\nmodel: x\nbase_url: http://127.0.0.1:9/v1\nmodel_config: models/x\nscaffold_config: agents/rc\n");
        act.Should().Throw<QedException>().WithMessage("*agent config*--model*");
    }

    [Fact]
    public void A_tab_is_reported_on_its_own_line()
    {
        var act = () => ModelConfigLoader.Parse("tab.yaml", "model: m\nbase_url: http://127.0.0.1:9/v1\n\tmax_tokens: 5\n");
        act.Should().Throw<QedException>().WithMessage("tab.yaml:3:*");
    }

    [Fact]
    public void A_reply_without_the_delimiter_is_all_thinking_under_the_original_rule()
    {
        ReasoningSplit.Split("I think the answer is 4", null, ["</think>"], false).Answer.Should().Be("I think the answer is 4");
        var original = ReasoningSplit.Split("I think the answer is 4", null, ["</think>"], false, originalSplit: true);
        original.Answer.Should().BeEmpty();
        original.Reasoning.Should().Be("I think the answer is 4");
        ReasoningSplit.Split("a</think>b", null, ["</think>"], false, originalSplit: true).Answer.Should().Be("b");
        ReasoningSplit.Split("no delimiter", "thinking field", ["</think>"], false, originalSplit: true).Answer.Should().Be("no delimiter");
        // Several delimiters: the original splits at the first one in config order that occurs; ours at the last of any.
        string[] two = ["</think>", "final<|message|>"];
        ReasoningSplit.Split("a</think>b final<|message|>c", null, two, false, originalSplit: true).Answer.Should().Be("b final<|message|>c");
        ReasoningSplit.Split("a</think>b final<|message|>c", null, two, false).Answer.Should().Be("c");
    }
}

/// <summary>The Responses API as the original harness's configs use it: a reasoning block, background mode, tool_choice.</summary>
public class ResponsesApiTests : IAsyncLifetime
{
    private RawFileHost _server = null!;
    private readonly List<JsonObject> _posted = [];
    private int _polls;

    public async Task InitializeAsync()
    {
        _server = await RawFileHost.StartAsync();
        _server.Handler = async ctx =>
        {
            if (ctx.Request.Method == "POST" && ctx.Request.Path == "/v1/responses")
            {
                var body = JsonNode.Parse(await new StreamReader(ctx.Request.Body).ReadToEndAsync())!.AsObject();
                lock (_posted) _posted.Add(body);
                var background = body["background"]?.GetValue<bool>() == true;
                await Write(ctx, background ? new JsonObject { ["id"] = "resp_1", ["status"] = "queued", ["output"] = new JsonArray() } : Done());
                return true;
            }
            if (ctx.Request.Method == "GET" && ctx.Request.Path == "/v1/responses/resp_1")
            {
                var n = Interlocked.Increment(ref _polls);
                await Write(ctx, n < 3 ? new JsonObject { ["id"] = "resp_1", ["status"] = "in_progress", ["output"] = new JsonArray() } : Done());
                return true;
            }
            return false;
        };
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonObject Done() => new()
    {
        ["id"] = "resp_1", ["status"] = "completed",
        ["output"] = new JsonArray(
            new JsonObject { ["type"] = "reasoning", ["summary"] = new JsonArray(new JsonObject { ["type"] = "summary_text", ["text"] = "thought" }) },
            new JsonObject { ["type"] = "message", ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = "The proof." }) }),
        ["usage"] = new JsonObject { ["input_tokens"] = 10, ["output_tokens"] = 20, ["total_tokens"] = 30 },
    };

    private static Task Write(HttpContext ctx, JsonObject o)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(o.ToJsonString());
    }

    private ModelConfig Config(string extra) => ModelConfigLoader.Parse("gpt.yaml", $"""
        model: gpt-5.2--high
        api: openai
        api_key_env: null
        base_url: {_server.BaseUrl}/v1
        max_tokens: 110000
        read_cost: 1.25
        write_cost: 10
        concurrent_requests: 32
        temperature: null
        top_p: null
        use_openai_responses_api: true
        tool_choice: auto
        reasoning:
          summary: "auto"
        {extra}
        """) with { ApiKeyEnv = null, BackgroundPollInterval = TimeSpan.FromMilliseconds(20) };

    [Fact]
    public async Task The_reasoning_block_keeps_the_effort_and_tool_choice_is_not_sent_without_tools()
    {
        using var factory = new ChatClientFactory();
        var client = factory.Create(Config(""));
        var reply = await client.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "Prove it.")]);
        reply.Text.Should().Be("The proof.");
        var body = _posted.Single();
        body["reasoning"]!["effort"]!.GetValue<string>().Should().Be("high");
        body["reasoning"]!["summary"]!.GetValue<string>().Should().Be("auto");
        body.ContainsKey("tool_choice").Should().BeFalse();
        body.ContainsKey("background").Should().BeFalse();
        body["model"]!.GetValue<string>().Should().Be("gpt-5.2");
    }

    [Fact]
    public async Task A_background_response_is_polled_until_it_completes()
    {
        using var factory = new ChatClientFactory();
        var client = factory.Create(Config("background: true"));
        var reply = await client.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "Prove it.")]);
        reply.Text.Should().Be("The proof.");
        reply.Usage!.OutputTokenCount.Should().Be(20);
        _posted.Single()["background"]!.GetValue<bool>().Should().BeTrue();
        _polls.Should().Be(3);
        _server.Requested.Count(r => r.StartsWith("GET /v1/responses/resp_1")).Should().Be(3);
    }
}
