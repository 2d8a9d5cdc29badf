using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qed.Inference.Engine;
using Qed.Inference.Serving;
using Qed.Inference.Tests.Engine;

namespace Qed.Inference.Tests.Serving;

/// <summary>The OpenAI-compatible server over the tiny model, spoken to over real loopback HTTP.</summary>
public sealed class ChatCompletionsServerTests(TinyModel tiny) : IClassFixture<TinyModel>
{
    private async Task<(ChatCompletionsServer Server, HttpClient Http)> StartAsync()
    {
        var server = await ChatCompletionsServer.StartAsync(new LocalChatClient(tiny.Model, ownsModel: false), "tiny", "127.0.0.1", 0);
        return (server, new HttpClient { BaseAddress = server.Address });
    }

    private static object Body(string user, bool stream, int maxTokens = 12, double temperature = 0, long seed = 0) => new
    {
        model = "tiny",
        messages = new object[] { new { role = "system", content = "You are terse." }, new { role = "user", content = user } },
        stream, max_tokens = maxTokens, temperature, top_p = 0.9, top_k = 40, seed,
    };

    private static async Task<(string Reasoning, string Content, string? Finish, JsonNode? Usage)> StreamAsync(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", body);
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n').Where(l => l.StartsWith("data: ")).Select(l => l[6..]).ToList();
        lines[^1].Should().Be("[DONE]");
        var reasoning = new StringBuilder();
        var content = new StringBuilder();
        string? finish = null;
        JsonNode? usage = null;
        foreach (var line in lines[..^1])
        {
            var chunk = JsonNode.Parse(line)!;
            chunk["object"]!.GetValue<string>().Should().Be("chat.completion.chunk");
            var choice = chunk["choices"]![0]!;
            reasoning.Append(choice["delta"]?["reasoning_content"]?.GetValue<string>());
            content.Append(choice["delta"]?["content"]?.GetValue<string>());
            finish ??= choice["finish_reason"]?.GetValue<string>();
            usage ??= chunk["usage"];
        }
        return (reasoning.ToString(), content.ToString(), finish, usage);
    }

    [Fact]
    public async Task Streamed_answer_carries_reasoning_a_finish_reason_and_usage_and_matches_the_plain_answer()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;

        var streamed = await StreamAsync(http, Body("prove it", stream: true));
        streamed.Reasoning.Length.Should().BeGreaterThan(0, "the Thinking-2507 prompt opens <think>, so output starts as reasoning");
        streamed.Finish.Should().BeOneOf("stop", "length");
        streamed.Usage!["completion_tokens"]!.GetValue<int>().Should().BeInRange(1, 12);
        streamed.Usage["total_tokens"]!.GetValue<int>().Should().Be(
            streamed.Usage["prompt_tokens"]!.GetValue<int>() + streamed.Usage["completion_tokens"]!.GetValue<int>());

        using var plain = await http.PostAsJsonAsync("/v1/chat/completions", Body("prove it", stream: false));
        var json = JsonNode.Parse(await plain.Content.ReadAsStringAsync())!;
        json["object"]!.GetValue<string>().Should().Be("chat.completion");
        var message = json["choices"]![0]!["message"]!;
        (message["reasoning_content"]?.GetValue<string>() ?? "").Should().Be(streamed.Reasoning);
        message["content"]!.GetValue<string>().Should().Be(streamed.Content);
        json["usage"]!.ToJsonString().Should().Be(streamed.Usage.ToJsonString());
    }

    [Fact]
    public async Task Concurrent_requests_return_what_each_returns_alone()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        var bodies = Enumerable.Range(0, 4).Select(i => Body($"problem {i}", stream: true, maxTokens: 10, temperature: 0.9, seed: i)).ToList();
        var alone = new List<string>();
        foreach (var b in bodies) { var r = await StreamAsync(http, b); alone.Add(r.Reasoning + "|" + r.Content); }
        var together = await Task.WhenAll(bodies.Select(async b => { var r = await StreamAsync(http, b); return r.Reasoning + "|" + r.Content; }));
        together.Should().Equal(alone);
        alone.Distinct().Count().Should().BeGreaterThan(1, "different prompts and seeds give different answers: " + string.Join(" ## ", alone));
    }

    [Fact]
    public async Task Stop_sequences_and_max_tokens_are_honoured()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        var full = await StreamAsync(http, Body("go", stream: true, maxTokens: 20));
        full.Finish.Should().Be("length");
        full.Usage!["completion_tokens"]!.GetValue<int>().Should().Be(20);
        var text = full.Reasoning;
        var stop = text.Substring(text.Length / 2, 2);
        var cut = await StreamAsync(http, new
        {
            messages = new[] { new { role = "system", content = "You are terse." }, new { role = "user", content = "go" } },
            stream = true, max_tokens = 20, temperature = 0, stop = new[] { stop },
        });
        cut.Finish.Should().Be("stop");
        cut.Reasoning.Should().Be(text[..text.IndexOf(stop, StringComparison.Ordinal)]);
    }

    [Fact]
    public async Task Models_health_and_bad_requests()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        server.Address.Host.Should().Be("127.0.0.1");
        (await http.GetFromJsonAsync<JsonObject>("/health"))!["status"]!.GetValue<string>().Should().Be("ok");
        var models = await http.GetFromJsonAsync<JsonObject>("/v1/models");
        models!["data"]![0]!["id"]!.GetValue<string>().Should().Be("tiny");
        using var bad = await http.PostAsync("/v1/chat/completions", new StringContent("{\"messages\": []}", Encoding.UTF8, "application/json"));
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.Content.ReadAsStringAsync()).Should().Contain("'messages'");
        using var badTemp = await http.PostAsJsonAsync("/v1/chat/completions", new { messages = new[] { new { role = "user", content = "x" } }, temperature = -1 });
        badTemp.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }
}
