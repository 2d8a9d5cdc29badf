using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Qed.Inference.Serving;

namespace Qed.Inference.Tests.Serving;

/// <summary>Malformed fields of a chat-completions request, sent as raw JSON over loopback: each is refused with HTTP 400
/// and an OpenAI-style error object whose <c>param</c> names the field, before the engine sees anything.</summary>
public sealed class ServeRequestValidationTests
{
    /// <summary>Counts what reaches the engine; answers "ok".</summary>
    private sealed class CountingClient : IChatClient
    {
        public int Calls;
        public ChatOptions? LastOptions;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            LastOptions = options;
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { FinishReason = ChatFinishReason.Stop });
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "ok") { FinishReason = ChatFinishReason.Stop };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;
        public void Dispose() { }
    }

    private const string User = "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";

    public static TheoryData<string, string> Malformed => new()
    {
        { "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]}", "messages[0].content[0].text" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": [{\"text\": 5}]}]}", "messages[0].content[0].text" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": [\"hi\"]}]}", "messages[0].content[0]" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": 3, \"text\": \"x\"}]}]}", "messages[0].content[0].type" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": 7}]}", "messages[0].content" },
        { "{\"messages\": [{\"content\": \"hi\"}]}", "messages[0].role" },
        { "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "messages[0].role" },
        { "{\"messages\": [\"hi\"]}", "messages[0]" },
        { "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"reasoning_content\": 1}]}", "messages[0].reasoning_content" },
        { "{\"messages\": {}}", "messages" },
        { $"{{{User}, \"max_tokens\": 3e9}}", "max_tokens" },
        { $"{{{User}, \"max_tokens\": 3000000000}}", "max_tokens" },
        { $"{{{User}, \"max_tokens\": 1.5}}", "max_tokens" },
        { $"{{{User}, \"max_tokens\": \"abc\"}}", "max_tokens" },
        { $"{{{User}, \"max_tokens\": 0}}", "max_tokens" },
        { $"{{{User}, \"max_completion_tokens\": -5}}", "max_completion_tokens" },
        { $"{{{User}, \"seed\": 1e30}}", "seed" },
        { $"{{{User}, \"seed\": 1.5}}", "seed" },
        { $"{{{User}, \"seed\": \"7\"}}", "seed" },
        { $"{{{User}, \"temperature\": \"NaN\"}}", "temperature" },
        { $"{{{User}, \"temperature\": -1}}", "temperature" },
        { $"{{{User}, \"temperature\": 1e400}}", "temperature" },
        { $"{{{User}, \"top_p\": 0}}", "top_p" },
        { $"{{{User}, \"top_p\": \"0.9\"}}", "top_p" },
        { $"{{{User}, \"top_k\": 2.5}}", "top_k" },
        { $"{{{User}, \"top_k\": -2}}", "top_k" },
        { $"{{{User}, \"stop\": 5}}", "stop" },
        { $"{{{User}, \"stop\": [\"a\", 5]}}", "stop[1]" },
        { $"{{{User}, \"stream\": \"yes\"}}", "stream" },
        { $"{{{User}, \"n\": 2}}", "n" },
        { $"{{{User}, \"presence_penalty\": \"high\"}}", "presence_penalty" },
        { $"{{{User}, \"chat_template_kwargs\": {{\"enable_thinking\": \"no\"}}}}", "chat_template_kwargs.enable_thinking" },
        { $"{{{User}, \"chat_template_kwargs\": 1}}", "chat_template_kwargs" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Every_malformed_field_is_a_400_naming_it_and_never_reaches_the_engine(string body, string param)
    {
        var client = new CountingClient();
        await using var server = await ChatCompletionsServer.StartAsync(client, "stub", "127.0.0.1", 0);
        using var http = new HttpClient { BaseAddress = server.Address };
        foreach (var stream in new[] { false, true })
        {
            var sent = stream ? body.Insert(body.LastIndexOf('}'), body.Contains("\"stream\"") ? "" : ", \"stream\": true") : body;
            using var response = await http.PostAsync("/v1/chat/completions", new StringContent(sent, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.BadRequest, $"{sent} -> {text}");
            var error = JsonNode.Parse(text)!["error"]!;
            error["type"]!.GetValue<string>().Should().Be("invalid_request_error");
            error["param"]!.GetValue<string>().Should().Be(param);
            error["message"]!.GetValue<string>().Should().Contain($"'{param}'");
        }
        client.Calls.Should().Be(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"messages\": [")]
    [InlineData("[1, 2]")]
    [InlineData("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": NaN}")]
    public async Task A_body_that_is_not_a_json_object_is_a_400_with_an_error_object(string body)
    {
        var client = new CountingClient();
        await using var server = await ChatCompletionsServer.StartAsync(client, "stub", "127.0.0.1", 0);
        using var http = new HttpClient { BaseAddress = server.Address };
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["message"]!.GetValue<string>().Should().NotBeEmpty();
        client.Calls.Should().Be(0);
    }

    [Fact]
    public async Task Well_formed_fields_reach_the_engine_and_nulls_mean_defaults()
    {
        var client = new CountingClient();
        await using var server = await ChatCompletionsServer.StartAsync(client, "stub", "127.0.0.1", 0);
        using var http = new HttpClient { BaseAddress = server.Address };
        var body = """
            {"messages": [{"role": "system", "content": null}, {"role": "user", "content": [{"type": "text", "text": "hi"}, {"text": "there"}]}],
             "max_tokens": 2147483647, "temperature": 0.7, "top_p": 1, "top_k": -1, "seed": -9223372036854775808, "stop": null,
             "stream": false, "n": 1, "chat_template_kwargs": {"enable_thinking": false}}
            """;
        using var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        client.Calls.Should().Be(1);
        client.LastOptions!.MaxOutputTokens.Should().Be(int.MaxValue);
        client.LastOptions.Seed.Should().Be(long.MinValue);
        client.LastOptions.TopK.Should().BeNull();
        client.LastOptions.Temperature.Should().BeApproximately(0.7f, 1e-6f);
    }
}
