using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Qed.Inference.Serving;

/// <summary>
/// An OpenAI-compatible HTTP front for any <see cref="IChatClient"/> (here the local engine), so every command
/// that talks to endpoints can use a local model: <c>POST /v1/chat/completions</c> (streamed as server-sent
/// events or not; reasoning returned as <c>reasoning_content</c>, as vLLM does; <c>usage</c>), <c>GET /v1/models</c>,
/// <c>GET /health</c>. Binds to loopback unless given another host.
/// </summary>
public sealed class ChatCompletionsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public Uri Address { get; }

    private ChatCompletionsServer(WebApplication app, Uri address) { _app = app; Address = address; }

    public static async Task<ChatCompletionsServer> StartAsync(IChatClient client, string modelId, string host = "127.0.0.1", int port = 8000,
        CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (host is "localhost") k.ListenLocalhost(port);
            else if (IPAddress.TryParse(host, out var ip)) k.Listen(ip, port);
            else throw new QedException($"--host '{host}' is not an IP address or 'localhost'");
        });
        var app = builder.Build();
        var endpoints = new ChatCompletionsEndpoint(client, modelId);
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = modelId, @object = "model", created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), owned_by = "qed" } },
        }));
        app.MapPost("/v1/chat/completions", endpoints.HandleAsync);
        try { await app.StartAsync(cancellationToken); }
        catch (IOException e) { throw new QedException($"cannot listen on {host}:{port} ({e.Message})", e); }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new ChatCompletionsServer(app, new Uri(bound.Replace("[::]", "127.0.0.1")));
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Translates one OpenAI chat-completions request to the chat client and its answer back.</summary>
internal sealed class ChatCompletionsEndpoint(IChatClient client, string modelId)
{
    private static readonly JsonSerializerOptions Compact = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never };

    public async Task HandleAsync(HttpContext http)
    {
        var ct = http.RequestAborted;
        ParsedRequest request;
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            request = ParsedRequest.From(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or QedException or InvalidOperationException or FormatException)
        {
            await Error(http, 400, e.Message);
            return;
        }

        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (!request.Stream)
        {
            ChatResponse response;
            try { response = await client.GetResponseAsync(request.Messages, request.Options, ct); }
            catch (QedException e) { await Error(http, 400, e.Message); return; }
            var message = response.Messages.LastOrDefault();
            var reasoning = string.Concat(message?.Contents.OfType<TextReasoningContent>().Select(r => r.Text) ?? []);
            var body = new JsonObject
            {
                ["id"] = id, ["object"] = "chat.completion", ["created"] = created, ["model"] = modelId,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject
                    {
                        ["role"] = "assistant",
                        ["content"] = message?.Text ?? "",
                        ["reasoning_content"] = reasoning.Length > 0 ? reasoning : null,
                    },
                    ["finish_reason"] = FinishReason(response.FinishReason),
                }),
                ["usage"] = Usage(response.Usage),
            };
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(body.ToJsonString(Compact), ct);
            return;
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        async Task Send(JsonNode node)
        {
            await http.Response.WriteAsync("data: " + node.ToJsonString(Compact) + "\n\n", ct);
            await http.Response.Body.FlushAsync(ct);
        }
        JsonObject Chunk(JsonObject delta, string? finish) => new()
        {
            ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = modelId,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
        };

        await Send(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
        try
        {
            await foreach (var update in client.GetStreamingResponseAsync(request.Messages, request.Options, ct))
            {
                foreach (var content in update.Contents)
                {
                    if (content is TextReasoningContent r && r.Text.Length > 0) await Send(Chunk(new JsonObject { ["reasoning_content"] = r.Text }, null));
                    else if (content is TextContent t && t.Text.Length > 0) await Send(Chunk(new JsonObject { ["content"] = t.Text }, null));
                }
                if (update.FinishReason is { } finish)
                {
                    var usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
                    var last = Chunk(new JsonObject(), FinishReason(finish));
                    last["usage"] = Usage(usage);
                    await Send(last);
                }
            }
        }
        catch (QedException e)
        {
            await Send(new JsonObject { ["error"] = new JsonObject { ["message"] = e.Message, ["type"] = "invalid_request_error" } });
        }
        await http.Response.WriteAsync("data: [DONE]\n\n", ct);
    }

    private static string? FinishReason(ChatFinishReason? reason) =>
        reason is null ? null : reason == ChatFinishReason.Length ? "length" : "stop";

    private static JsonObject? Usage(UsageDetails? usage) => usage is null ? null : new JsonObject
    {
        ["prompt_tokens"] = usage.InputTokenCount ?? 0,
        ["completion_tokens"] = usage.OutputTokenCount ?? 0,
        ["total_tokens"] = usage.TotalTokenCount ?? (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0),
    };

    private static Task Error(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error = new { message, type = "invalid_request_error" } });
    }

    private sealed record ParsedRequest(List<ChatMessage> Messages, ChatOptions Options, bool Stream)
    {
        public static ParsedRequest From(JsonElement body)
        {
            if (body.ValueKind != JsonValueKind.Object) throw new QedException("the request body must be a JSON object");
            if (!body.TryGetProperty("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array || msgs.GetArrayLength() == 0)
                throw new QedException("field 'messages' must be a non-empty array");
            var messages = new List<ChatMessage>();
            int index = 0;
            foreach (var m in msgs.EnumerateArray())
            {
                var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : throw new QedException($"messages[{index}]: field 'role' is missing");
                var contents = new List<AIContent>();
                if (m.TryGetProperty("reasoning_content", out var rc) && rc.ValueKind == JsonValueKind.String) contents.Add(new TextReasoningContent(rc.GetString()!));
                if (m.TryGetProperty("content", out var c))
                {
                    if (c.ValueKind == JsonValueKind.String) contents.Add(new TextContent(c.GetString()!));
                    else if (c.ValueKind == JsonValueKind.Array)
                        foreach (var part in c.EnumerateArray())
                        {
                            if (part.TryGetProperty("type", out var type) && type.GetString() != "text")
                                throw new QedException($"messages[{index}].content: part type '{type.GetString()}' is not supported (text only)");
                            contents.Add(new TextContent(part.GetProperty("text").GetString()!));
                        }
                    else if (c.ValueKind != JsonValueKind.Null) throw new QedException($"messages[{index}]: field 'content' must be a string or an array of text parts");
                }
                messages.Add(new ChatMessage(new ChatRole(role), contents));
                index++;
            }

            var options = new ChatOptions();
            int? Int(string name) => body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
            float? Float(string name) => body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : null;
            options.MaxOutputTokens = Int("max_completion_tokens") ?? Int("max_tokens");
            options.Temperature = Float("temperature");
            options.TopP = Float("top_p");
            var topK = Int("top_k");
            options.TopK = topK is > 0 ? topK : null; // vLLM treats -1 (and 0) as "no top-k"
            if (body.TryGetProperty("seed", out var seed) && seed.ValueKind == JsonValueKind.Number) options.Seed = seed.GetInt64();
            if (body.TryGetProperty("stop", out var stop))
                options.StopSequences = stop.ValueKind switch
                {
                    JsonValueKind.String => [stop.GetString()!],
                    JsonValueKind.Array => stop.EnumerateArray().Select(s => s.GetString()!).ToList(),
                    JsonValueKind.Null => null,
                    _ => throw new QedException("field 'stop' must be a string or an array of strings"),
                };
            if (body.TryGetProperty("chat_template_kwargs", out var kw) && kw.ValueKind == JsonValueKind.Object
                && kw.TryGetProperty("enable_thinking", out var et) && et.ValueKind is JsonValueKind.True or JsonValueKind.False)
                (options.AdditionalProperties ??= new())["enable_thinking"] = et.GetBoolean();
            bool stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
            return new ParsedRequest(messages, options, stream);
        }
    }
}
