using System.Text.Json.Nodes;

namespace Qed.Llm;

/// <summary>
/// Finds the shipped configuration folders: <c>$QED_HOME/configs</c> first, then the <c>configs</c> folder of
/// the repository found upward from the executable and from the current directory.
/// </summary>
public sealed class ConfigLocations
{
    public IReadOnlyList<string> Roots { get; }

    public ConfigLocations(IEnumerable<string> roots) => Roots = roots.Distinct().ToList();

    public static ConfigLocations Default(string? qedHome = null)
    {
        var roots = new List<string>();
        qedHome ??= Environment.GetEnvironmentVariable("QED_HOME");
        if (!string.IsNullOrEmpty(qedHome)) roots.Add(Path.Combine(qedHome, "configs"));
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "configs");
                if (Directory.Exists(Path.Combine(candidate, "models")) || Directory.Exists(Path.Combine(candidate, "scaffolds")))
                {
                    roots.Add(candidate);
                    break;
                }
            }
        }
        return new ConfigLocations(roots);
    }

    /// <summary>Resolves a path, or a shipped name under <c>configs/KIND/NAME.yaml</c>.</summary>
    public string Resolve(string kind, string reference)
    {
        if (File.Exists(reference)) return Path.GetFullPath(reference);
        var name = reference.EndsWith(".yaml", StringComparison.Ordinal) || reference.EndsWith(".yml", StringComparison.Ordinal)
            ? reference : reference + ".yaml";
        foreach (var root in Roots)
        {
            var candidate = Path.Combine(root, kind, name);
            if (File.Exists(candidate)) return candidate;
        }
        var searched = Roots.Count == 0 ? "no configs folder found (set QED_HOME)" : "searched " + string.Join(", ", Roots.Select(r => Path.Combine(r, kind)));
        throw new QedException($"{kind} config '{reference}' is neither a file nor a shipped name ({searched})");
    }
}

/// <summary>Reads model configs from YAML into <see cref="ModelConfig"/>, naming file, line and field on errors.</summary>
public static class ModelConfigLoader
{
    private static readonly HashSet<string> Known =
    [
        "model", "api", "base_url", "api_key_env", "max_tokens", "temperature", "top_p", "top_k", "reasoning_effort",
        "delimiters", "read_cost", "write_cost", "concurrent_requests", "timeout", "max_retries",
        "use_openai_responses_api", "extra_body", "stream", "reasoning", "background",
    ];

    // Understood and never sent: the original sends no tools, and drops tool_choice when there are none.
    private static readonly HashSet<string> Dropped = ["tool_choice"];

    /// <summary>
    /// Request parameters that servers genuinely take and that sit near a field name of ours (<c>min_tokens</c> is two
    /// edits from <c>max_tokens</c>): passed through without a did-you-mean.
    /// </summary>
    private static readonly HashSet<string> ServerParameters =
    [
        "min_tokens", "min_p", "seed", "stop", "n", "presence_penalty", "frequency_penalty", "repetition_penalty", "logprobs",
        "top_logprobs", "best_of", "ignore_eos", "skip_special_tokens", "stop_token_ids", "max_completion_tokens",
        "max_output_tokens", "response_format", "logit_bias", "user", "chat_template_kwargs", "include_stop_str_in_output",
        "length_penalty", "use_beam_search", "parallel_tool_calls", "service_tier", "store", "metadata", "verbosity", "text",
        "include", "prompt_cache_key", "truncation", "instructions", "thinking", "safety_identifier",
    ];

    /// <summary>The original harness's default request timeout (seconds), used under its protocol when a config sets none.</summary>
    public const double OriginalDefaultTimeout = 18000;

    // Bookkeeping fields of the original configs: understood, never sent to the endpoint.
    private static readonly HashSet<string> Metadata = ["human_readable_id", "date", "model_revision", "prompt_margin", "other_params"];

    public static readonly IReadOnlyList<string> Apis = ["openai", "custom", "google", "together", "openrouter", "deepseek", "xai", "anthropic", "glm"];

    /// <summary>Loads a path or shipped name (e.g. <c>vllm/qed-nano</c>). Unknown fields are reported through <paramref name="warn"/> once.</summary>
    public static ModelConfig Load(string reference, ConfigLocations locations, Action<string>? warn = null)
    {
        var path = locations.Resolve("models", reference);
        var name = File.Exists(reference) ? Path.GetFileNameWithoutExtension(reference) : reference.Replace(".yaml", "");
        return FromYaml(YamlConfig.Load(path), name, warn);
    }

    public static ModelConfig Parse(string path, string yamlText, Action<string>? warn = null) =>
        FromYaml(YamlConfig.Parse(path, yamlText), Path.GetFileNameWithoutExtension(path), warn);

    public static ModelConfig FromYaml(YamlConfig y, string name, Action<string>? warn = null)
    {
        var model = y.String("model");
        if (string.IsNullOrWhiteSpace(model)) throw new QedException($"{y.Path}:1: field 'model': required");
        var api = y.String("api") ?? "custom";
        if (!Apis.Contains(api)) throw y.Error("api", $"unknown api '{api}' (one of {string.Join(", ", Apis)})");

        // "gpt-5.1--high": the original harness's way of naming the reasoning effort inside the model name.
        string? effortFromName = null;
        var dash = model.IndexOf("--", StringComparison.Ordinal);
        if (dash > 0)
        {
            effortFromName = model[(dash + 2)..];
            model = model[..dash];
        }

        var baseUrls = y.Strings("base_url");
        if (baseUrls.Count == 0 && DefaultBaseUrl(api) is { } d) baseUrls = [d];
        foreach (var url in baseUrls)
            if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                throw y.Error("base_url", $"'{url}' is not an http(s) URL");
        if (baseUrls.Count == 0) throw y.Error("base_url", $"required for api '{api}'");

        if (y.String("type") == "agent")
            throw y.Error("type", "this is an agent config (model_config + scaffold_config): give it as --model to eval, run or prove, not as a judge or role model");
        var unknown = y.Root.Where(p => !Known.Contains(p.Key) && !Metadata.Contains(p.Key) && !Dropped.Contains(p.Key)).ToList();
        foreach (var (key, _) in unknown)
        {
            if (ServerParameters.Contains(key)) continue;
            if (NearMiss.Closest(key, Known.Concat(Metadata)) is { } near)
                throw y.Error(key, $"unknown field; did you mean '{near}'? (to send a parameter of this name on purpose, put it under extra_body:)");
        }
        if (unknown.Count > 0)
            warn?.Invoke($"{y.Path}: unknown field(s) {string.Join(", ", unknown.Select(u => $"'{u.Key}' (line {y.LineOf(u.Key)})"))} passed through into the request body");

        var config = new ModelConfig
        {
            Name = name,
            Model = model,
            Api = api,
            BaseUrls = baseUrls,
            ApiKeyEnv = y.String("api_key_env") ?? DefaultKeyEnv(api),
            MaxTokens = y.Int("max_tokens"),
            Temperature = y.Double("temperature"),
            TopP = y.Double("top_p"),
            TopK = y.Int("top_k"),
            ReasoningEffort = y.String("reasoning_effort") ?? effortFromName,
            Delimiters = y.Strings("delimiters"),
            ReadCost = y.Double("read_cost") ?? 0,
            WriteCost = y.Double("write_cost") ?? 0,
            ConcurrentRequests = y.Int("concurrent_requests") ?? 16,
            Timeout = y.Double("timeout") ?? 3600,
            TimeoutFromConfig = y.Root["timeout"] is not null,
            Reasoning = y.Object("reasoning"),
            Background = y.Bool("background") ?? false,
            MaxRetries = y.Int("max_retries") ?? 5,
            UseOpenAiResponsesApi = y.Bool("use_openai_responses_api") ?? false,
            Stream = y.Bool("stream") ?? false,
            ExtraBody = y.Object("extra_body"),
            PassThrough = unknown.ToDictionary(p => p.Key, p => p.Value?.DeepClone()),
            SourcePath = y.Path,
        };
        if (config.MaxTokens is <= 0) throw y.Error("max_tokens", "must be positive");
        if (config.ConcurrentRequests <= 0) throw y.Error("concurrent_requests", "must be positive");
        if (config.Timeout <= 0) throw y.Error("timeout", "must be positive (seconds)");
        if (config.MaxRetries < 0) throw y.Error("max_retries", "must not be negative");
        if (config.ReadCost < 0) throw y.Error("read_cost", "must not be negative");
        if (config.WriteCost < 0) throw y.Error("write_cost", "must not be negative");
        return config;
    }

    public static string? DefaultBaseUrl(string api) => api switch
    {
        "openai" => "https://api.openai.com/v1",
        "google" => "https://generativelanguage.googleapis.com/v1beta/openai",
        "together" => "https://api.together.xyz/v1",
        "openrouter" => "https://openrouter.ai/api/v1",
        "deepseek" => "https://api.deepseek.com/v1",
        "xai" => "https://api.x.ai/v1",
        "anthropic" => "https://api.anthropic.com/v1",
        "glm" => "https://api.z.ai/api/paas/v4",
        _ => null,
    };

    public static string? DefaultKeyEnv(string api) => api switch
    {
        "openai" => "OPENAI_API_KEY",
        "google" => "GOOGLE_API_KEY",
        "together" => "TOGETHER_API_KEY",
        "openrouter" => "OPENROUTER_API_KEY",
        "deepseek" => "DEEPSEEK_API_KEY",
        "xai" => "XAI_API_KEY",
        "anthropic" => "ANTHROPIC_API_KEY",
        "glm" => "GLM_API_KEY",
        _ => null,
    };
}
