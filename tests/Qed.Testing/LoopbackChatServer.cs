using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Qed.Testing;

/// <summary>One scripted reply of the <see cref="LoopbackChatServer"/>.</summary>
public sealed record ScriptedReply
{
    public string Content { get; init; } = "";
    /// <summary>Sent in the field named by <see cref="ReasoningField"/>; null sends no reasoning field.</summary>
    public string? Reasoning { get; init; }
    public string ReasoningField { get; init; } = "reasoning_content";
    public string FinishReason { get; init; } = "stop";
    /// <summary>Force streaming (true) or a JSON body (false); null follows the request's <c>stream</c> flag.</summary>
    public bool? Stream { get; init; }
    public int Status { get; init; } = 200;
    public TimeSpan? RetryAfter { get; init; }
    /// <summary>Error code in the error body (e.g. <c>context_length_exceeded</c>).</summary>
    public string? ErrorCode { get; init; }
    /// <summary>Wait before answering (timeouts).</summary>
    public TimeSpan Delay { get; init; }
    /// <summary>Replaces the whole body (garbage, cut-off JSON).</summary>
    public string? RawBody { get; init; }
    /// <summary>Close the connection without any reply.</summary>
    public bool DropConnection { get; init; }
    public int PromptTokens { get; init; } = 100;
    public int CompletionTokens { get; init; } = 50;

    public static ScriptedReply Text(string content, string? reasoning = null) => new() { Content = content, Reasoning = reasoning };
    public static ScriptedReply Error(int status, TimeSpan? retryAfter = null, string? code = null) => new() { Status = status, RetryAfter = retryAfter, ErrorCode = code };
    /// <summary>A reply cut by max_tokens while still thinking (no closing delimiter, finish_reason length).</summary>
    public static ScriptedReply TruncatedThinking(string partialThinking = "Let me consider the case n = 1 and then") =>
        new() { Content = partialThinking, FinishReason = "length" };
}

/// <summary>A request the server received.</summary>
public sealed record RecordedRequest(string Path, string Body, JsonObject? Json, IReadOnlyDictionary<string, string> Headers, DateTimeOffset At)
{
    /// <summary>The last user message's content.</summary>
    public string? LastUserMessage => Json?["messages"] is JsonArray a
        ? a.LastOrDefault(m => m?["role"]?.GetValue<string>() == "user")?["content"]?.GetValue<string>()
        : Json?["input"] is JsonArray i ? i.LastOrDefault()?["content"]?.GetValue<string>() : null;
}

/// <summary>
/// An OpenAI-compatible server on 127.0.0.1 (random port) for tests and benchmarks. Each request takes the
/// next queued <see cref="ScriptedReply"/>; when the queue is empty, <see cref="Responder"/> decides (default:
/// a short proof). Serves <c>/v1/chat/completions</c> (JSON or server-sent events) and <c>/v1/responses</c>,
/// and records every request.
/// </summary>
public sealed class LoopbackChatServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ScriptedReply> _queue = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private int _count;

    /// <summary>e.g. <c>http://127.0.0.1:41234/v1</c>.</summary>
    public string BaseUrl { get; private set; } = "";
    /// <summary>Whether to keep the request log (off for load benchmarks).</summary>
    public bool RecordRequests { get; set; } = true;
    public Func<RecordedRequest, ScriptedReply> Responder { get; set; } = _ => ScriptedReply.Text("Proof. It follows directly. QED");

    private LoopbackChatServer(WebApplication app)
    {
        _app = app;
        app.MapPost("/v1/chat/completions", ctx => HandleAsync(ctx, responses: false));
        app.MapPost("/v1/responses", ctx => HandleAsync(ctx, responses: true));
    }

    public static async Task<LoopbackChatServer> StartAsync(Func<RecordedRequest, ScriptedReply>? responder = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var server = new LoopbackChatServer(builder.Build());
        if (responder is not null) server.Responder = responder;
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = address.TrimEnd('/') + "/v1";
        return server;
    }

    public void Enqueue(params ScriptedReply[] replies)
    {
        foreach (var r in replies) _queue.Enqueue(r);
    }

    public int RequestCount => Volatile.Read(ref _count);
    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    private async Task HandleAsync(HttpContext ctx, bool responses)
    {
        var owner = this;
        Interlocked.Increment(ref owner._count);
        string body;
        using (var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8)) body = await reader.ReadToEndAsync();
        JsonObject? json = null;
        try { json = JsonNode.Parse(body) as JsonObject; } catch (System.Text.Json.JsonException) { }
        var headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var request = new RecordedRequest(ctx.Request.Path, body, json, headers, DateTimeOffset.UtcNow);
        if (owner.RecordRequests) _requests.Enqueue(request);

        var reply = _queue.TryDequeue(out var queued) ? queued : owner.Responder(request);
        if (reply.Delay > TimeSpan.Zero)
        {
            try { await Task.Delay(reply.Delay, ctx.RequestAborted); }
            catch (OperationCanceledException) { return; }
        }
        if (reply.DropConnection) { ctx.Abort(); return; }
        if (reply.Status != 200)
        {
            ctx.Response.StatusCode = reply.Status;
            if (reply.RetryAfter is { } ra) ctx.Response.Headers.RetryAfter = ((int)Math.Ceiling(ra.TotalSeconds)).ToString();
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(reply.RawBody ?? new JsonObject
            {
                ["error"] = new JsonObject { ["message"] = $"scripted status {reply.Status}", ["type"] = "error", ["code"] = reply.ErrorCode },
            }.ToJsonString());
            return;
        }
        if (reply.RawBody is not null)
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(reply.RawBody);
            return;
        }
        var model = json?["model"]?.GetValue<string>() ?? "loopback";
        if (responses)
        {
            await WriteResponsesAsync(ctx, reply, model);
            return;
        }
        var stream = reply.Stream ?? (json?["stream"]?.GetValue<bool>() == true);
        if (stream) await WriteStreamAsync(ctx, reply, model);
        else await WriteJsonAsync(ctx, reply, model);
    }

    private static JsonObject Usage(ScriptedReply r) => new()
    {
        ["prompt_tokens"] = r.PromptTokens,
        ["completion_tokens"] = r.CompletionTokens,
        ["total_tokens"] = r.PromptTokens + r.CompletionTokens,
    };

    private static async Task WriteJsonAsync(HttpContext ctx, ScriptedReply r, string model)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = r.Content };
        if (r.Reasoning is not null) message[r.ReasoningField] = r.Reasoning;
        var body = new JsonObject
        {
            ["id"] = "chatcmpl-loopback",
            ["object"] = "chat.completion",
            ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = r.FinishReason }),
            ["usage"] = Usage(r),
        };
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private static async Task WriteStreamAsync(HttpContext ctx, ScriptedReply r, string model)
    {
        ctx.Response.ContentType = "text/event-stream";
        async Task Send(JsonObject delta, string? finish, JsonObject? usage = null)
        {
            var chunk = new JsonObject
            {
                ["id"] = "chatcmpl-loopback",
                ["object"] = "chat.completion.chunk",
                ["model"] = model,
                ["choices"] = usage is null
                    ? new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish })
                    : new JsonArray(),
            };
            if (usage is not null) chunk["usage"] = usage;
            await ctx.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n");
            await ctx.Response.Body.FlushAsync();
        }
        if (r.Reasoning is not null)
            foreach (var piece in Pieces(r.Reasoning)) await Send(new JsonObject { [r.ReasoningField] = piece }, null);
        foreach (var piece in Pieces(r.Content)) await Send(new JsonObject { ["content"] = piece }, null);
        await Send(new JsonObject(), r.FinishReason);
        await Send(new JsonObject(), null, Usage(r));
        await ctx.Response.WriteAsync("data: [DONE]\n\n");
    }

    private static IEnumerable<string> Pieces(string text)
    {
        for (var i = 0; i < text.Length; i += 7) yield return text.Substring(i, Math.Min(7, text.Length - i));
    }

    private static async Task WriteResponsesAsync(HttpContext ctx, ScriptedReply r, string model)
    {
        var output = new JsonArray();
        if (r.Reasoning is not null)
            output.Add(new JsonObject
            {
                ["type"] = "reasoning",
                ["summary"] = new JsonArray(new JsonObject { ["type"] = "summary_text", ["text"] = r.Reasoning }),
            });
        output.Add(new JsonObject
        {
            ["type"] = "message",
            ["role"] = "assistant",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = r.Content }),
        });
        var body = new JsonObject
        {
            ["id"] = "resp-loopback",
            ["model"] = model,
            ["status"] = r.FinishReason == "length" ? "incomplete" : "completed",
            ["output"] = output,
            ["usage"] = new JsonObject { ["input_tokens"] = r.PromptTokens, ["output_tokens"] = r.CompletionTokens },
        };
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
