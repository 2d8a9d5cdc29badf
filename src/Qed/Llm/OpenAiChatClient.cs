using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Qed.Llm;

/// <summary>
/// An OpenAI-compatible endpoint (vLLM, SGLang, OpenAI, Gemini's compatibility layer, OpenRouter, ...) as an
/// <see cref="IChatClient"/>: chat completions (streamed or not) or, with <c>use_openai_responses_api</c>,
/// the Responses API. Thinking becomes <see cref="TextReasoningContent"/> (see <see cref="ReasoningSplit"/>);
/// failures become <see cref="ChatEndpointException"/> with a typed <see cref="EndpointFailure"/>.
/// One request, one attempt: retries and limits are the delegating layers' job.
/// </summary>
public sealed class OpenAiChatClient : IChatClient
{
    private readonly ModelConfig _config;
    private readonly HttpClient _http;
    private readonly EndpointPool _pool;
    private readonly string? _apiKey;

    public OpenAiChatClient(ModelConfig config, HttpClient http, string? apiKey, EndpointPool? pool = null)
    {
        _config = config;
        _http = http;
        _apiKey = apiKey;
        _pool = pool ?? new EndpointPool(config.BaseUrls, config.ConcurrentRequests);
    }

    public EndpointPool Pool => _pool;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        using var lease = await _pool.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var baseUrl = lease.Endpoint.BaseUrl;
        try
        {
            var response = _config.UseOpenAiResponsesApi
                ? await SendResponsesAsync(baseUrl, messages, options, cancellationToken).ConfigureAwait(false)
                : await SendChatAsync(baseUrl, messages, options, cancellationToken).ConfigureAwait(false);
            lease.MarkHealthy();
            (response.AdditionalProperties ??= [])[ReplyFacts.EndpointKey] = baseUrl;
            return response;
        }
        catch (ChatEndpointException e) when (e.Failure is EndpointFailure.ConnectionFailed or EndpointFailure.ConnectionReset or EndpointFailure.ServerError)
        {
            lease.MarkUnhealthy();
            throw;
        }
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Thinking is split from the answer on the whole reply (the delimiter may arrive in any chunk),
        // so updates are produced from the assembled response.
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai-compatible", new Uri(_config.BaseUrls[0]), _config.Model)
        : serviceType == typeof(ModelConfig) ? _config
        : null;

    public void Dispose() { }

    /// <summary>Role and text of each message: the shape both the chat-completions and Responses APIs take.</summary>
    private static JsonArray MessagesArray(IEnumerable<ChatMessage> messages) =>
        new(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray());

    // ---- chat completions ----------------------------------------------------------------------------

    private async Task<ChatResponse> SendChatAsync(string baseUrl, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["model"] = options?.ModelId ?? _config.Model,
            ["messages"] = MessagesArray(messages),
        };
        var maxTokens = options?.MaxOutputTokens ?? _config.MaxTokens;
        if (maxTokens is not null) body[_config.Api == "openai" ? "max_completion_tokens" : "max_tokens"] = maxTokens;
        SetIfPresent(body, "temperature", options?.Temperature ?? _config.Temperature);
        SetIfPresent(body, "top_p", options?.TopP ?? _config.TopP);
        SetIfPresent(body, "top_k", options?.TopK ?? _config.TopK);
        SetIfPresent(body, "seed", options?.Seed);
        if (_config.ReasoningEffort is { } effort) body["reasoning_effort"] = effort;
        if (_config.Reasoning is { } reasoningBlock) body["reasoning"] = reasoningBlock.DeepClone();
        if (options?.StopSequences is { Count: > 0 } stops) body["stop"] = new JsonArray(stops.Select(s => (JsonNode?)s).ToArray());
        if (_config.Stream)
        {
            body["stream"] = true;
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }
        MergeExtras(body, options);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(_config.Timeout));
        var url = baseUrl + "/chat/completions";
        try
        {
            using var request = BuildRequest(url, body);
            using var http = await SendAsync(request, url, timeout.Token, ct).ConfigureAwait(false);
            if (_config.Stream && http.Content.Headers.ContentType?.MediaType == "text/event-stream")
                return await ReadStreamAsync(http, url, timeout.Token).ConfigureAwait(false);
            var json = await ReadJsonAsync(http, url, timeout.Token).ConfigureAwait(false);
            return ParseChatCompletion(json, url);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ChatEndpointException(EndpointFailure.Timeout, url, $"no complete reply within {_config.Timeout:0.###} s");
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            throw new ChatEndpointException(EndpointFailure.ConnectionReset, url, "connection lost while reading the reply: " + e.Message, inner: e);
        }
    }

    private ChatResponse ParseChatCompletion(JsonNode json, string url)
    {
        var choice = json["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;
        if (choice?["message"] is not JsonObject message)
            throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, "reply has no choices[0].message");
        var content = Str(message["content"]);
        var reasoning = Str(message["reasoning_content"]) ?? Str(message["reasoning"]);
        return Assemble(content, reasoning, Str(choice["finish_reason"]), Usage(json["usage"]), Str(json["id"]), Str(json["model"]), url);
    }

    private async Task<ChatResponse> ReadStreamAsync(HttpResponseMessage http, string url, CancellationToken ct)
    {
        var content = new StringBuilder();
        var reasoning = new StringBuilder();
        string? finish = null, id = null, model = null;
        UsageDetails? usage = null;
        var done = false;
        await using var stream = await http.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (!line.StartsWith("data:", StringComparison.Ordinal)) continue;
            var data = line.AsSpan(5).Trim();
            if (data.SequenceEqual("[DONE]")) { done = true; break; }
            JsonNode? chunk;
            try { chunk = JsonNode.Parse(data.ToString()); }
            catch (JsonException) { throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, "stream chunk is not JSON"); }
            if (chunk?["error"] is JsonNode err)
                throw new ChatEndpointException(EndpointFailure.ServerError, url, "error inside stream: " + Truncate(err.ToJsonString()));
            id ??= Str(chunk?["id"]);
            model ??= Str(chunk?["model"]);
            if (chunk?["usage"] is JsonObject u) usage = Usage(u);
            if (chunk?["choices"] is JsonArray { Count: > 0 } cs)
            {
                var delta = cs[0]?["delta"];
                content.Append(Str(delta?["content"]));
                reasoning.Append(Str(delta?["reasoning_content"]) ?? Str(delta?["reasoning"]));
                finish = Str(cs[0]?["finish_reason"]) ?? finish;
            }
        }
        if (!done && finish is null)
            throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, "stream ended before the reply was complete");
        // A finished reply always says why it finished; [DONE] without that is a server giving up mid-reply.
        if (finish is null)
            throw new ChatEndpointException(EndpointFailure.Aborted, url, $"stream ended with [DONE] but no finish_reason after {content.Length} characters");
        return Assemble(content.ToString(), reasoning.Length > 0 ? reasoning.ToString() : null, finish, usage, id, model, url);
    }

    private ChatResponse Assemble(string? content, string? reasoningField, string? finish, UsageDetails? usage, string? id, string? model, string url)
    {
        if (finish is "abort" or "error")
            throw new ChatEndpointException(EndpointFailure.Aborted, url,
                $"the server aborted the reply (finish_reason \"{finish}\") after {content?.Length ?? 0} characters");
        var cutOff = finish == "length";
        if (string.IsNullOrEmpty(content) && string.IsNullOrEmpty(reasoningField) && !cutOff)
            throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, $"empty reply (finish_reason {finish ?? "none"})");
        var parts = ReasoningSplit.Split(content, reasoningField, _config.Delimiters, cutOff, _config.OriginalReplySplit);
        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(parts.Reasoning)) contents.Add(new TextReasoningContent(parts.Reasoning));
        contents.Add(new TextContent(parts.Answer));
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, contents))
        {
            FinishReason = FinishReason(finish),
            Usage = usage,
            ResponseId = id,
            ModelId = model ?? _config.Model,
            AdditionalProperties = new() { [ReplyFacts.ThinkingClosedKey] = parts.ThinkingClosed },
        };
    }

    // ---- Responses API ------------------------------------------------------------------------------

    private async Task<ChatResponse> SendResponsesAsync(string baseUrl, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["model"] = options?.ModelId ?? _config.Model,
            ["input"] = MessagesArray(messages),
        };
        var maxTokens = options?.MaxOutputTokens ?? _config.MaxTokens;
        if (maxTokens is not null) body["max_output_tokens"] = maxTokens;
        SetIfPresent(body, "temperature", options?.Temperature ?? _config.Temperature);
        SetIfPresent(body, "top_p", options?.TopP ?? _config.TopP);
        var reasoningBlock = ReasoningBlock();
        if (reasoningBlock is not null) body["reasoning"] = reasoningBlock;
        if (_config.Background) body["background"] = true;
        MergeExtras(body, options);
        // The block built above already merges the config's effort; a pass-through or extra_body "reasoning" must not drop it.
        if (reasoningBlock is not null && body["reasoning"] is JsonObject merged && _config.ReasoningEffort is { } eff) merged["effort"] = eff;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(_config.Timeout));
        var url = baseUrl + "/responses";
        try
        {
            using var request = BuildRequest(url, body);
            using var http = await SendAsync(request, url, timeout.Token, ct).ConfigureAwait(false);
            var json = await ReadJsonAsync(http, url, timeout.Token).ConfigureAwait(false);
            if (_config.Background) json = await PollAsync(json, url, timeout.Token, ct).ConfigureAwait(false);
            var status = Str(json["status"]);
            if (status is "failed" or "cancelled")
                throw new ChatEndpointException(EndpointFailure.ServerError, url, $"background response {status}: {Truncate(json["error"]?.ToJsonString() ?? "")}");
            if (json["output"] is not JsonArray output)
                throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, "reply has no output array");
            var text = new StringBuilder();
            var reasoning = new StringBuilder();
            foreach (var item in output)
            {
                switch (Str(item?["type"]))
                {
                    case "message":
                        foreach (var c in item?["content"] as JsonArray ?? [])
                            if (Str(c?["type"]) == "output_text") text.Append(Str(c?["text"]));
                        break;
                    case "reasoning":
                        foreach (var s in item?["summary"] as JsonArray ?? []) reasoning.Append(Str(s?["text"]));
                        break;
                }
            }
            var incomplete = Str(json["status"]) == "incomplete";
            var u = json["usage"];
            var usage = u is null ? null : new UsageDetails
            {
                InputTokenCount = Long(u["input_tokens"]),
                OutputTokenCount = Long(u["output_tokens"]),
                TotalTokenCount = Long(u["total_tokens"]),
                ReasoningTokenCount = Long(u["output_tokens_details"]?["reasoning_tokens"]),
            };
            return Assemble(text.ToString(), reasoning.Length > 0 ? reasoning.ToString() : null,
                incomplete ? "length" : "stop", usage, Str(json["id"]), Str(json["model"]), url);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ChatEndpointException(EndpointFailure.Timeout, url, $"no complete reply within {_config.Timeout:0.###} s");
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            throw new ChatEndpointException(EndpointFailure.ConnectionReset, url, "connection lost while reading the reply: " + e.Message, inner: e);
        }
    }

    /// <summary>
    /// The Responses API's <c>reasoning</c> object: the config's block (<c>reasoning: {summary: auto}</c>) with
    /// <c>reasoning_effort</c> merged in as <c>effort</c>, as the original harness does; without a block, effort and an
    /// automatic summary. Null when neither is configured.
    /// </summary>
    private JsonObject? ReasoningBlock()
    {
        if (_config.Reasoning is { } block)
        {
            var merged = (JsonObject)block.DeepClone();
            if (_config.ReasoningEffort is { } effort) merged["effort"] = effort;
            return merged;
        }
        return _config.ReasoningEffort is { } e ? new JsonObject { ["effort"] = e, ["summary"] = "auto" } : null;
    }

    /// <summary>
    /// <c>background: true</c>: the first reply is <c>queued</c> or <c>in_progress</c>; it is fetched again
    /// (<c>GET /responses/ID</c>) every <see cref="ModelConfig.BackgroundPollInterval"/> until it is not, within the request timeout.
    /// </summary>
    private async Task<JsonNode> PollAsync(JsonNode json, string url, CancellationToken timeoutToken, CancellationToken callerToken)
    {
        while (Str(json["status"]) is "queued" or "in_progress")
        {
            var id = Str(json["id"]) ?? throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, "background response without an id");
            await Task.Delay(_config.BackgroundPollInterval, timeoutToken).ConfigureAwait(false);
            var pollUrl = url + "/" + Uri.EscapeDataString(id);
            using var request = new HttpRequestMessage(HttpMethod.Get, pollUrl);
            if (!string.IsNullOrEmpty(_apiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
            using var http = await SendAsync(request, pollUrl, timeoutToken, callerToken).ConfigureAwait(false);
            json = await ReadJsonAsync(http, pollUrl, timeoutToken).ConfigureAwait(false);
        }
        return json;
    }

    // ---- HTTP ---------------------------------------------------------------------------------------

    private void MergeExtras(JsonObject body, ChatOptions? options)
    {
        foreach (var (k, v) in _config.PassThrough) body[k] = v?.DeepClone();
        if (_config.ExtraBody is not null)
            foreach (var (k, v) in _config.ExtraBody) body[k] = v?.DeepClone();
        if (options?.AdditionalProperties is { } extra)
            foreach (var (k, v) in extra) body[k] = JsonSerializer.SerializeToNode(v);
    }

    private HttpRequestMessage BuildRequest(string url, JsonObject body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (!string.IsNullOrEmpty(_apiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string url, CancellationToken timeoutToken, CancellationToken callerToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (!callerToken.IsCancellationRequested)
        {
            var failure = e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError
                ? EndpointFailure.ConnectionFailed
                : e.HttpRequestError is HttpRequestError.InvalidResponse ? EndpointFailure.InvalidResponse : EndpointFailure.ConnectionReset;
            throw new ChatEndpointException(failure, url, $"cannot reach the endpoint ({e.HttpRequestError}): {e.Message}", inner: e);
        }
        catch (OperationCanceledException e) when (!callerToken.IsCancellationRequested && e.InnerException is TimeoutException)
        {
            throw new ChatEndpointException(EndpointFailure.ConnectionFailed, url, "cannot reach the endpoint: connect timed out", inner: e);
        }
        if (response.IsSuccessStatusCode) return response;
        using (response) throw await ErrorFromAsync(response, url, timeoutToken).ConfigureAwait(false);
    }

    private static async Task<ChatEndpointException> ErrorFromAsync(HttpResponseMessage response, string url, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string text;
        try { text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or HttpRequestException) { text = ""; }
        JsonNode? error = null;
        try { error = JsonNode.Parse(text) is JsonNode j ? j["error"] ?? j : null; }
        catch (JsonException) { }
        var code = error is JsonObject ? Str(error["code"]) ?? error["code"]?.ToJsonString() : null;
        var param = error is JsonObject ? Str(error["param"]) : null;
        var message = (error is JsonObject ? Str(error["message"]) : null) ?? text;
        var what = $"HTTP {status}: {Truncate(message)}";

        if (status == 429)
            return new ChatEndpointException(EndpointFailure.RateLimited, url, what, status, RetryAfter(response));
        if (status >= 500)
            return new ChatEndpointException(EndpointFailure.ServerError, url, what, status, RetryAfter(response));
        if (status is 401 or 403)
            return new ChatEndpointException(EndpointFailure.Unauthorized, url, what, status);
        if (status == 404)
            return new ChatEndpointException(EndpointFailure.NotFound, url, what, status);
        if (code == "context_length_exceeded" || param is "max_tokens" or "max_completion_tokens" or "max_output_tokens")
            return new ChatEndpointException(EndpointFailure.ContextOverflow, url, what, status);
        return new ChatEndpointException(EndpointFailure.BadRequest, url, what, status);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var h = response.Headers.RetryAfter;
        if (h?.Delta is { } delta) return delta;
        if (h?.Date is { } date) return date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero;
        return null;
    }

    private static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage http, string url, CancellationToken ct)
    {
        await using var stream = await http.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        try
        {
            return await JsonNode.ParseAsync(stream, cancellationToken: ct).ConfigureAwait(false)
                ?? throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, "reply body is JSON null");
        }
        catch (JsonException e)
        {
            throw new ChatEndpointException(EndpointFailure.InvalidResponse, url, "reply body is not valid JSON: " + e.Message, inner: e);
        }
    }

    private static UsageDetails? Usage(JsonNode? u) => u is null ? null : new UsageDetails
    {
        InputTokenCount = Long(u["prompt_tokens"]),
        OutputTokenCount = Long(u["completion_tokens"]),
        TotalTokenCount = Long(u["total_tokens"]),
        ReasoningTokenCount = Long(u["completion_tokens_details"]?["reasoning_tokens"]),
        CachedInputTokenCount = Long(u["prompt_tokens_details"]?["cached_tokens"]),
    };

    private static ChatFinishReason? FinishReason(string? f) => f switch
    {
        null => null,
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        "content_filter" => ChatFinishReason.ContentFilter,
        "tool_calls" => ChatFinishReason.ToolCalls,
        _ => new ChatFinishReason(f),
    };

    private static void SetIfPresent<T>(JsonObject body, string key, T? value) where T : struct
    {
        if (value is { } v) body[key] = JsonValue.Create(v);
    }

    private static string? Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long? Long(JsonNode? n) => n is JsonValue v
        ? v.TryGetValue<long>(out var l) ? l : v.TryGetValue<double>(out var d) ? (long)d : null
        : null;

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
