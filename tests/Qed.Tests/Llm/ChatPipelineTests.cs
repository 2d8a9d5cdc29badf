using System.Diagnostics;
using Microsoft.Extensions.AI;
using Qed.Llm;
using Qed.Testing;

namespace Qed.Tests.Llm;

/// <summary>The chat pipeline against a real loopback OpenAI-compatible server.</summary>
public class ChatPipelineTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly ChatClientFactory _factory = new(new ChatClientFactoryOptions
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
        Environment = name => name == "TEST_KEY" ? "sk-secret-123" : null,
    });

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();
    public async Task DisposeAsync() { await _server.DisposeAsync(); _factory.Dispose(); }

    private ModelClient Client(string extra = "", string? baseUrl = null) => _factory.Create(ModelConfigLoader.Parse("test.yaml", $"""
        model: test-model
        base_url: {baseUrl ?? _server.BaseUrl}
        max_tokens: 1000
        delimiters: ["</think>"]
        read_cost: 1
        write_cost: 10
        max_retries: 3
        {extra}
        """));

    private static readonly ChatMessage[] Ask = [new(ChatRole.User, "Prove that 1 + 1 = 2.")];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reasoning_field_becomes_reasoning_content_streaming_or_not(bool stream)
    {
        _server.Enqueue(ScriptedReply.Text("The proof.", reasoning: "Thinking hard."));
        var client = Client(stream ? "stream: true" : "");
        var r = await client.Chat.GetResponseAsync(Ask);
        r.AnswerText().Should().Be("The proof.");
        r.ReasoningText().Should().Be("Thinking hard.");
        r.IsTruncated().Should().BeFalse();
        r.Usage!.OutputTokenCount.Should().Be(50);
        (_server.Requests.Single().Json!["stream"]?.GetValue<bool>() ?? false).Should().Be(stream);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Delimiter_splits_thinking_from_the_answer(bool stream)
    {
        _server.Enqueue(ScriptedReply.Text("Hmm, </think> maybe. Ok.</think>\n\nFinal proof."));
        var r = await Client(stream ? "stream: true" : "").Chat.GetResponseAsync(Ask);
        r.AnswerText().Should().Be("Final proof.");
        r.ReasoningText().Should().Be("Hmm, </think> maybe. Ok.");
    }

    [Fact]
    public async Task A_reply_cut_inside_its_thinking_is_truncated_with_no_answer()
    {
        _server.Enqueue(ScriptedReply.TruncatedThinking());
        var r = await Client().Chat.GetResponseAsync(Ask);
        r.IsTruncated().Should().BeTrue();
        r.ThinkingClosed().Should().BeFalse();
        r.FinishReason.Should().Be(ChatFinishReason.Length);
        r.AnswerText().Should().BeEmpty();
        r.ReasoningText().Should().Contain("case n = 1");
    }

    [Fact]
    public async Task Rate_limits_wait_for_retry_after()
    {
        _server.Enqueue(ScriptedReply.Error(429, retryAfter: TimeSpan.FromSeconds(1)));
        var clock = Stopwatch.StartNew();
        var r = await Client().Chat.GetResponseAsync(Ask);
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromMilliseconds(900));
        r.AnswerText().Should().NotBeEmpty();
        _server.RequestCount.Should().Be(2);
    }

    [Fact]
    public async Task Server_errors_are_retried_a_bounded_number_of_times()
    {
        _server.Enqueue(ScriptedReply.Error(500), ScriptedReply.Error(503));
        (await Client().Chat.GetResponseAsync(Ask)).AnswerText().Should().NotBeEmpty();
        _server.RequestCount.Should().Be(3);

        _server.Responder = _ => ScriptedReply.Error(500);
        var act = () => Client().Chat.GetResponseAsync(Ask);
        (await act.Should().ThrowAsync<ChatEndpointException>()).Which.Failure.Should().Be(EndpointFailure.ServerError);
        _server.RequestCount.Should().Be(3 + 4); // one try plus max_retries 3
    }

    [Fact]
    public async Task Garbage_and_empty_replies_are_retried_then_reported()
    {
        _server.Enqueue(new ScriptedReply { RawBody = "{\"choices\": [" }, ScriptedReply.Text(""));
        (await Client().Chat.GetResponseAsync(Ask)).AnswerText().Should().NotBeEmpty();
        _server.RequestCount.Should().Be(3);
    }

    [Fact]
    public async Task A_dropped_connection_is_retried_like_a_reset()
    {
        _server.Enqueue(new ScriptedReply { DropConnection = true }, new ScriptedReply { DropConnection = true }, new ScriptedReply { DropConnection = true });
        (await Client().Chat.GetResponseAsync(Ask)).AnswerText().Should().NotBeEmpty();
        _server.RequestCount.Should().Be(4);
    }

    [Fact]
    public async Task A_slow_endpoint_times_out_and_is_retried()
    {
        _server.Enqueue(new ScriptedReply { Delay = TimeSpan.FromSeconds(5), Content = "late" });
        var r = await Client("timeout: 0.5").Chat.GetResponseAsync(Ask);
        r.AnswerText().Should().Be("Proof. It follows directly. QED");
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        _server.Enqueue(ScriptedReply.Error(400));
        var act = () => Client().Chat.GetResponseAsync(Ask);
        (await act.Should().ThrowAsync<ChatEndpointException>()).Which.Failure.Should().Be(EndpointFailure.BadRequest);
        _server.RequestCount.Should().Be(1);
    }

    [Fact]
    public async Task Context_overflow_halves_max_tokens_and_retries()
    {
        _server.Enqueue(ScriptedReply.Error(400, code: "context_length_exceeded"));
        await Client().Chat.GetResponseAsync(Ask);
        _server.Requests.Select(r => r.Json!["max_tokens"]!.GetValue<int>()).Should().Equal(1000, 512); // half, but never below the 512 floor
    }

    [Fact]
    public async Task Cost_is_metered_from_read_and_write_prices()
    {
        var client = Client();
        var r = await client.Chat.GetResponseAsync(Ask);
        r.CostUsd().Should().BeApproximately((100 * 1 + 50 * 10) / 1e6, 1e-12);
        client.Usage.OutputTokens.Should().Be(50);
        client.Usage.CostUsd.Should().BeApproximately(r.CostUsd(), 1e-9);
    }

    [Fact]
    public async Task Unknown_fields_and_extra_body_reach_the_request()
    {
        await Client("min_p: 0.05\nextra_body: {chat_template_kwargs: {enable_thinking: true}}").Chat.GetResponseAsync(Ask);
        var body = _server.Requests.Single().Json!;
        body["min_p"]!.GetValue<double>().Should().Be(0.05);
        body["chat_template_kwargs"]!["enable_thinking"]!.GetValue<bool>().Should().BeTrue();
        body["max_tokens"]!.GetValue<int>().Should().Be(1000);
    }

    [Fact]
    public async Task Responses_api_reads_reasoning_summary_and_text()
    {
        _server.Enqueue(ScriptedReply.Text("The answer.", reasoning: "Summary of thought."));
        var r = await Client("use_openai_responses_api: true\nreasoning_effort: high").Chat.GetResponseAsync(Ask);
        _server.Requests.Single().Path.Should().Be("/v1/responses");
        r.AnswerText().Should().Be("The answer.");
        r.ReasoningText().Should().Be("Summary of thought.");
    }

    [Fact]
    public void A_missing_api_key_fails_before_any_request()
    {
        var act = () => Client("api_key_env: NOT_SET_ANYWHERE");
        act.Should().Throw<QedException>().WithMessage("*NOT_SET_ANYWHERE*");
        _server.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_within_seconds_naming_the_url()
    {
        var clock = Stopwatch.StartNew();
        var act = () => Client(baseUrl: "http://127.0.0.1:9/v1").Chat.GetResponseAsync(Ask);
        var e = (await act.Should().ThrowAsync<ChatEndpointException>()).Which;
        e.Failure.Should().Be(EndpointFailure.ConnectionFailed);
        e.Message.Should().Contain("http://127.0.0.1:9/v1");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Requests_spread_over_endpoints_and_avoid_a_dead_one()
    {
        await using var second = await LoopbackChatServer.StartAsync();
        var client = Client(baseUrl: $"[{_server.BaseUrl}, {second.BaseUrl}, http://127.0.0.1:9/v1]");
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.Chat.GetResponseAsync(Ask)));
        replies.Should().OnlyContain(r => r.AnswerText().Length > 0);
        _server.RequestCount.Should().BeGreaterThan(0);
        second.RequestCount.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task The_request_log_redacts_the_key()
    {
        using var dir = new TempDirectory();
        var log = dir.File("requests.jsonl");
        using (var factory = new ChatClientFactory(new ChatClientFactoryOptions { RequestLogPath = log, Environment = _ => "sk-secret-123" }))
        {
            var client = factory.Create(ModelConfigLoader.Parse("t.yaml", $"model: m\nbase_url: {_server.BaseUrl}\napi_key_env: TEST_KEY\n"));
            await client.Chat.GetResponseAsync(Ask);
        }
        _server.Requests.Single().Headers["Authorization"].Should().Be("Bearer sk-secret-123");
        var text = await File.ReadAllTextAsync(log);
        text.Should().Contain("[redacted]").And.Contain("Prove that").And.NotContain("sk-secret-123");
    }

    [Fact]
    public async Task Local_models_need_a_plugged_in_source()
    {
        var act = () => _factory.OpenAsync("local:lm-provers/QED-Nano", CancellationToken.None);
        await act.Should().ThrowAsync<QedException>().WithMessage("*local*");
    }
}
