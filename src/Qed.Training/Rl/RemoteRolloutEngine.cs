using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Llm;
using Qed.Training.Checkpoints;

namespace Qed.Training.Rl;

/// <summary>
/// Rollouts from vLLM/SGLang servers: one <c>/v1/completions</c> request per group with the prompt as token ids,
/// <c>n</c> = group size, <c>logprobs</c> and <c>return_tokens_as_token_ids</c>, sent to the least-loaded of the
/// configured servers; transient failures (connection errors, timeouts, 429, 5xx) are retried with backoff.
/// For the ratio to be 1 on-policy the servers must report log-probs after temperature scaling (vLLM:
/// <c>--logprobs-mode processed_logprobs</c>).
/// Weight sync writes the snapshot as a Hugging Face checkpoint and asks every server to reload it (SGLang's
/// <c>/update_weights_from_disk</c>, or a configured POST), waiting for all before the version counts.
/// </summary>
public sealed class RemoteRolloutEngine : IRolloutEngine
{
    private readonly RemoteEngineOptions _options;
    private readonly Qwen3Config _config;
    private readonly string _weightsRoot;
    private readonly string _tokenizerDirectory;
    private readonly HttpClient _http;
    private readonly EndpointPool _pool;
    private readonly string? _apiKey;

    public long Version { get; private set; } = -1;

    public RemoteRolloutEngine(RemoteEngineOptions options, Qwen3Config config, string defaultWeightsDirectory, string tokenizer, HttpMessageHandler? handler = null)
    {
        _options = options;
        _config = config;
        _weightsRoot = options.WeightsDirectory ?? defaultWeightsDirectory;
        _tokenizerDirectory = File.Exists(tokenizer) ? Path.GetDirectoryName(tokenizer)! : tokenizer;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan };
        _pool = new EndpointPool(options.BaseUrls, options.ConcurrentRequests);
        if (options.ApiKeyEnv is { Length: > 0 } env)
            _apiKey = Environment.GetEnvironmentVariable(env) is { Length: > 0 } key ? key
                : throw new QedException($"remote engine: environment variable {env} (api_key_env) is not set");
    }

    public async Task<IReadOnlyList<Rollout>> GenerateAsync(IReadOnlyList<RolloutRequest> requests, SamplingSettings sampling, CancellationToken cancellationToken)
    {
        long version = Version;
        var groups = await Task.WhenAll(requests.Select((r, i) => GroupAsync(r, sampling, sampling.Seed * 7919 + i, version, cancellationToken))).ConfigureAwait(false);
        return groups.SelectMany(g => g).ToList();
    }

    private async Task<IReadOnlyList<Rollout>> GroupAsync(RolloutRequest request, SamplingSettings sampling, long seed, long version, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["model"] = _options.Model,
            ["prompt"] = new JsonArray(request.PromptIds.Select(id => (JsonNode)id).ToArray()),
            ["n"] = request.Count,
            ["max_tokens"] = sampling.MaxNewTokens,
            ["temperature"] = sampling.Temperature,
            ["top_p"] = 1.0,
            ["logprobs"] = 0,
            ["return_tokens_as_token_ids"] = true,
            ["skip_special_tokens"] = false,
            ["seed"] = seed,
        }.ToJsonString();
        var reply = await PostWithRetryAsync("/completions", body, ct).ConfigureAwait(false);
        var parsed = CompletionLogProbs.ParseReply(reply);
        var failed = parsed.FirstOrDefault(p => !p.Ok);
        if (failed is not null) throw new QedException($"remote engine: {request.Key}: {failed.Error}");
        if (parsed.Count != request.Count) throw new QedException($"remote engine: {request.Key}: asked for {request.Count} completions, got {parsed.Count}");
        return parsed.Select(p => new Rollout(request.Key, request.PromptIds, p.TokenIds, p.LogProbs, p.FinishReason == "length", version)).ToList();
    }

    private async Task<JsonNode?> PostWithRetryAsync(string route, string body, CancellationToken ct)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var lease = await _pool.AcquireAsync(ct).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            string? failure;
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, lease.Endpoint.BaseUrl + route) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                if (_apiKey is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
                using var response = await _http.SendAsync(message, timeout.Token).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    lease.MarkHealthy();
                    try { return JsonNode.Parse(text); }
                    catch (System.Text.Json.JsonException) { failure = "the reply is not JSON"; }
                }
                else if (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500)
                {
                    lease.MarkUnhealthy();
                    failure = $"HTTP {(int)response.StatusCode}";
                }
                else throw new QedException($"remote engine {lease.Endpoint.BaseUrl}{route}: HTTP {(int)response.StatusCode}: {Shorten(text)}");
            }
            catch (HttpRequestException e) { lease.MarkUnhealthy(); failure = e.Message; }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested) { failure = $"no reply within {_options.TimeoutSeconds} s"; }
            if (attempt >= _options.MaxRetries) throw new QedException($"remote engine {lease.Endpoint.BaseUrl}{route}: {failure} (after {attempt + 1} attempts)");
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, attempt))), ct).ConfigureAwait(false);
        }
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    public async Task SyncAsync(PolicySnapshot snapshot, CancellationToken cancellationToken)
    {
        if (_options.Reload.Kind == "none") { Version = snapshot.Version; return; }
        var directory = Path.Combine(_weightsRoot, "v" + snapshot.Version);
        var writer = new SafetensorsWriter();
        foreach (var (name, value) in snapshot.Weights) TensorConversion.Add(writer, name, value, _config.TorchDtype == "bfloat16" ? TensorDType.BF16 : TensorDType.F32);
        Directory.CreateDirectory(directory);
        await writer.WriteCheckpointAsync(directory, 5L << 30, cancellationToken).ConfigureAwait(false);
        await _config.SaveAsync(directory, cancellationToken).ConfigureAwait(false);
        Qwen3Checkpoint.CopyTokenizerFiles(_tokenizerDirectory, directory);

        var body = _options.Reload.Body.Replace("{{path}}", directory.Replace("\\", "\\\\").Replace("\"", "\\\""), StringComparison.Ordinal);
        await Task.WhenAll(_pool.Endpoints.Select(async endpoint =>
        {
            var root = endpoint.BaseUrl.EndsWith("/v1", StringComparison.Ordinal) ? endpoint.BaseUrl[..^3] : endpoint.BaseUrl;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.Reload.TimeoutSeconds));
            using var message = new HttpRequestMessage(HttpMethod.Post, root + _options.Reload.Path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            if (_apiKey is not null) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _apiKey);
            using var response = await _http.SendAsync(message, timeout.Token).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new QedException($"weight sync: {root}{_options.Reload.Path} answered HTTP {(int)response.StatusCode}: {Shorten(text)}");
            // SGLang answers 200 with {"success": false, "message": ...} when loading fails.
            if (JsonNodeOrNull(text)?["success"] is JsonValue ok && ok.TryGetValue<bool>(out var success) && !success)
                throw new QedException($"weight sync: {root}{_options.Reload.Path} could not load {directory}: {Shorten(text)}");
        })).ConfigureAwait(false);
        Version = snapshot.Version;

        foreach (var old in Directory.GetDirectories(_weightsRoot, "v*").Where(d => d != directory))
            try { Directory.Delete(old, recursive: true); } catch (IOException) { }
    }

    private static JsonNode? JsonNodeOrNull(string text)
    {
        try { return JsonNode.Parse(text); } catch (System.Text.Json.JsonException) { return null; }
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
