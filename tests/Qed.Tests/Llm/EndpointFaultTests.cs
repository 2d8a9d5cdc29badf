using Microsoft.Extensions.AI;
using Qed.Llm;
using Qed.Testing;

namespace Qed.Tests.Llm;

/// <summary>Replies a server breaks off, keys a server echoes, and routes that do not exist (issue 15).</summary>
public class EndpointFaultTests : IAsyncLifetime
{
    private const string Key = "sk-live-4f9a7c1e2b";
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();
    public async Task DisposeAsync() { await _server.DisposeAsync(); _dir.Dispose(); }

    private ChatClientFactory Factory(string? log = null) => new(new ChatClientFactoryOptions
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        RetryMaxDelay = TimeSpan.FromMilliseconds(20),
        RequestLogPath = log,
        Environment = name => name == "TEST_KEY" ? Key : null,
    });

    private static ModelClient Client(ChatClientFactory factory, string baseUrl, bool stream = true) => factory.Create(ModelConfigLoader.Parse("t.yaml", $"""
        model: m
        base_url: {baseUrl}
        api_key_env: TEST_KEY
        max_retries: 2
        stream: {(stream ? "true" : "false")}
        """));

    private static readonly ChatMessage[] Ask = [new(ChatRole.User, "Prove that 1 + 1 = 2.")];

    [Theory]
    [InlineData("abort", true)]
    [InlineData("error", true)]
    [InlineData(null, true)]       // [DONE] with no finish reason
    [InlineData("abort", false)]
    [InlineData("error", false)]
    public async Task An_aborted_reply_is_retried_then_fails_never_an_answer(string? finish, bool stream)
    {
        using var factory = Factory();
        var partial = new ScriptedReply { Content = "Proof. Suppose n is even, then", FinishReason = finish!, Stream = stream };
        _server.Responder = _ => partial;
        var act = () => Client(factory, _server.BaseUrl, stream).Chat.GetResponseAsync(Ask);
        (await act.Should().ThrowAsync<ChatEndpointException>()).Which.Failure.Should().Be(EndpointFailure.Aborted);
        _server.RequestCount.Should().Be(3, "an aborted reply is transient: tried once and retried max_retries (2) times");
    }

    [Fact]
    public async Task An_aborted_stream_followed_by_a_whole_one_gives_the_whole_answer()
    {
        using var factory = Factory();
        _server.Enqueue(new ScriptedReply { Content = "Proof. Suppose", FinishReason = "abort", Stream = true },
            new ScriptedReply { Content = "Proof. Complete.", Stream = true });
        var r = await Client(factory, _server.BaseUrl).Chat.GetResponseAsync(Ask);
        r.AnswerText().Should().Be("Proof. Complete.");
        _server.RequestCount.Should().Be(2);
    }

    [Fact]
    public async Task A_key_the_server_echoes_never_reaches_the_error_or_the_request_log()
    {
        var log = _dir.File("requests.jsonl");
        _server.Responder = r => new ScriptedReply
        {
            Status = 400,
            RawBody = new System.Text.Json.Nodes.JsonObject
            {
                ["error"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["message"] = $"Incorrect API key provided: {r.Headers["Authorization"]["Bearer ".Length..]} (header {r.Headers["Authorization"]})",
                    ["code"] = "invalid_api_key",
                },
            }.ToJsonString(),
        };
        using (var factory = Factory(log))
        {
            var act = () => Client(factory, _server.BaseUrl, stream: false).Chat.GetResponseAsync(Ask);
            var e = (await act.Should().ThrowAsync<ChatEndpointException>()).Which;
            e.Message.Should().Contain("Incorrect API key provided: [redacted]").And.NotContain(Key);
            e.Detail.Should().NotContain(Key);
            e.ToString().Should().NotContain(Key);
        }
        _server.Requests.Single().Headers["Authorization"].Should().Be("Bearer " + Key, "the key is still sent");
        var text = await File.ReadAllTextAsync(log);
        text.Should().Contain("Incorrect API key provided").And.Contain("[redacted]").And.NotContain(Key);
    }

    [Fact]
    public void The_redactor_masks_json_and_url_forms_and_leaves_placeholder_keys_alone()
    {
        var r = new SecretRedactor();
        r.Add("ab+c/d\"ef");
        r.Add("x"); // "x" is a placeholder, not a secret
        r.Redact("raw ab+c/d\"ef json ab\\u002Bc/d\\u0022ef url ab%2Bc%2Fd%22ef x").Should()
            .Be("raw [redacted] json [redacted] url [redacted] x");
    }

    [Fact]
    public async Task A_404_is_not_found_at_once_not_retried()
    {
        using var factory = Factory();
        var withoutV1 = _server.BaseUrl[..^"/v1".Length];
        var act = () => Client(factory, withoutV1, stream: false).Chat.GetResponseAsync(Ask);
        var e = (await act.Should().ThrowAsync<ChatEndpointException>()).Which;
        e.Failure.Should().Be(EndpointFailure.NotFound);
        e.StatusCode.Should().Be(404);
        e.Endpoint.Should().Be(withoutV1 + "/chat/completions");
        e.IsTransient.Should().BeFalse();
    }
}
