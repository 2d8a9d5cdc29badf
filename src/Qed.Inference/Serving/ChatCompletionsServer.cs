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
        ChatCompletionsRequest request;
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            request = ChatCompletionsRequest.Parse(doc.RootElement);
        }
        catch (InvalidRequestException e)
        {
            await Error(http, 400, e.Message, e.Param);
            return;
        }
        catch (JsonException e)
        {
            await Error(http, 400, $"the request body is not valid JSON ({e.Message})");
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

    private static Task Error(HttpContext http, int status, string message, string? param = null)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error = new { message, type = "invalid_request_error", param, code = (string?)null } });
    }
}
