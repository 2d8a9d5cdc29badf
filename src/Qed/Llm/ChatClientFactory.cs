using Microsoft.Extensions.AI;

namespace Qed.Llm;

/// <summary>A model ready to call: its config, its pipeline and its running usage totals.</summary>
public sealed record ModelClient(ModelConfig Config, IChatClient Chat, UsageMeter Usage)
{
    /// <summary><see cref="ModelConfig.ContentHash"/>, computed once.</summary>
    public string ConfigHash { get; } = Config.ContentHash();
}

/// <summary>Settings of a <see cref="ChatClientFactory"/>, built once by the composition root.</summary>
public sealed record ChatClientFactoryOptions
{
    /// <summary>Requests in flight across every model this factory opens.</summary>
    public int GlobalConcurrency { get; init; } = 1024;
    /// <summary>When set, every HTTP exchange is appended here as JSON lines (Authorization redacted).</summary>
    public string? RequestLogPath { get; init; }
    public ConfigLocations? Locations { get; init; }
    /// <summary>How environment variables are read (tests substitute their own).</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;
    /// <summary>How long to wait for a TCP connection before the endpoint counts as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Backoff base and cap; the retry count comes from each config's <c>max_retries</c>.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(60);
    public Action<string>? Warn { get; init; }
    /// <summary>Applied to every config this factory reads (a protocol's defaults, e.g. the original harness's delimiter rule and timeout).</summary>
    public Func<ModelConfig, ModelConfig>? AdjustConfig { get; init; }
}

/// <summary>
/// Turns a model reference — a YAML path, a shipped name like <c>vllm/qed-nano</c>, or <c>local:REF</c> — into
/// a <see cref="ModelClient"/> whose pipeline is, outermost first:
/// secret redaction → usage metering → global concurrency cap → context-overflow shrink → retry → HTTP client
/// (per-endpoint limit, least-loaded healthy endpoint). Retries sit inside the global cap: a request that is
/// backing off keeps its slot, so a struggling fleet is not flooded with new requests meanwhile.
/// </summary>
public sealed class ChatClientFactory : IDisposable
{
    private readonly ChatClientFactoryOptions _options;
    private readonly ILocalModelSource? _local;
    private readonly HttpClient _http;

    public GlobalRequestLimit GlobalLimit { get; }
    /// <summary>Every API key this factory resolved; error texts and the request log are masked with it.</summary>
    public SecretRedactor Secrets { get; } = new();

    public ChatClientFactory(ChatClientFactoryOptions? options = null, ILocalModelSource? localModels = null)
    {
        _options = options ?? new ChatClientFactoryOptions();
        _local = localModels;
        GlobalLimit = new GlobalRequestLimit(_options.GlobalConcurrency);
        HttpMessageHandler handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            MaxConnectionsPerServer = int.MaxValue,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            EnableMultipleHttp2Connections = true,
        };
        if (_options.RequestLogPath is { } log) handler = new RequestLogHandler(log, handler, Secrets);
        _http = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
    }

    public ConfigLocations Locations => _options.Locations ?? ConfigLocations.Default();

    /// <summary>Where config warnings go (the composition root decides).</summary>
    public Action<string>? Warn => _options.Warn;

    /// <summary>Reads the model config a reference names (not for <c>local:</c> references).</summary>
    public ModelConfig LoadConfig(string reference) =>
        IsLocal(reference) ? LocalConfig(reference) : Adjust(ModelConfigLoader.Load(reference, Locations, _options.Warn));

    private ModelConfig Adjust(ModelConfig config) => _options.AdjustConfig is { } adjust ? adjust(config) : config;

    public static bool IsLocal(string reference) => reference.StartsWith("local:", StringComparison.Ordinal);

    public async Task<ModelClient> OpenAsync(string reference, CancellationToken cancellationToken)
    {
        if (!IsLocal(reference)) return Create(LoadConfig(reference));
        if (_local is null)
            throw new QedException($"model '{reference}': local models need the ONNX Runtime engine (Qed.Inference), which this build does not plug in");
        var refName = reference["local:".Length..];
        if (refName.Length == 0) throw new QedException($"model '{reference}': give a repo id or directory after 'local:'");
        var inner = await _local.OpenAsync(refName, cancellationToken).ConfigureAwait(false);
        var config = LocalConfig(reference);
        var meter = new UsageMeter();
        var chat = new ChatClientBuilder(inner)
            .UseUsageMetering(config.Pricing, meter)
            .Build();
        return new ModelClient(config, chat, meter);
    }

    /// <summary>Builds the pipeline for a config. A missing API key fails here, before any request.</summary>
    public ModelClient Create(ModelConfig config)
    {
        string? key = null;
        if (config.ApiKeyEnv is { Length: > 0 } env)
        {
            key = _options.Environment(env);
            if (string.IsNullOrEmpty(key))
                throw new QedException($"model '{config.Name}' ({config.SourcePath ?? "config"}): environment variable {env} (api_key_env) is not set");
            Secrets.Add(key);
        }
        var meter = new UsageMeter();
        var http = new OpenAiChatClient(config, _http, key);
        var chat = new ChatClientBuilder(http)
            .UseSecretRedaction(Secrets)
            .UseUsageMetering(config.Pricing, meter)
            .UseConcurrencyLimit(GlobalLimit)
            .UseContextOverflowShrink(config.MaxTokens)
            .UseRetry(new RetryPolicy(config.MaxRetries, _options.RetryBaseDelay, _options.RetryMaxDelay))
            .Build();
        return new ModelClient(config, chat, meter);
    }

    private static ModelConfig LocalConfig(string reference) => new()
    {
        Name = reference,
        Model = reference,
        Api = "local",
        BaseUrls = [],
        Delimiters = ["</think>"],
    };

    public void Dispose() => _http.Dispose();
}
