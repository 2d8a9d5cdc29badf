using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Llm;

/// <summary>
/// One model endpoint as the YAML config describes it. Field names follow the original harness
/// (<c>model, api, base_url, api_key_env, max_tokens, temperature, top_p, top_k, reasoning_effort,
/// delimiters, read_cost, write_cost, concurrent_requests, timeout, max_retries,
/// use_openai_responses_api, extra_body</c>); fields the loader does not know are kept in
/// <see cref="PassThrough"/> and merged into every request body.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Display name: the shipped name (<c>vllm/qed-nano</c>) or the file name without extension.</summary>
    public string Name { get; init; } = "";
    public required string Model { get; init; }
    public string Api { get; init; } = "custom";
    /// <summary>One or more OpenAI-compatible base URLs (ending in <c>/v1</c> usually); requests go to the least-loaded healthy one.</summary>
    public IReadOnlyList<string> BaseUrls { get; init; } = [];
    /// <summary>Name of the environment variable holding the API key; null means no key is sent.</summary>
    public string? ApiKeyEnv { get; init; }
    public int? MaxTokens { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? TopK { get; init; }
    public string? ReasoningEffort { get; init; }
    /// <summary>Markers that end the thinking part of a reply (e.g. <c>&lt;/think&gt;</c>); the answer is what follows the last one.</summary>
    public IReadOnlyList<string> Delimiters { get; init; } = [];
    /// <summary>USD per million input tokens.</summary>
    public double ReadCost { get; init; }
    /// <summary>USD per million output tokens.</summary>
    public double WriteCost { get; init; }
    /// <summary>Requests in flight at once per endpoint.</summary>
    public int ConcurrentRequests { get; init; } = 16;
    /// <summary>Seconds one request may take before it counts as timed out.</summary>
    public double Timeout { get; init; } = 3600;
    public int MaxRetries { get; init; } = 5;
    public bool UseOpenAiResponsesApi { get; init; }
    /// <summary>Streams the reply (server-sent events) instead of waiting for one JSON body.</summary>
    public bool Stream { get; init; }
    /// <summary>The original harness's reading (<c>--protocol qed-nano</c>): the first configured delimiter that occurs is split at, and a reply with none of them is all thinking, with an empty answer.</summary>
    public bool OriginalReplySplit { get; init; }
    /// <summary>Merged into the request body as is.</summary>
    public JsonObject? ExtraBody { get; init; }
    /// <summary>The Responses API's <c>reasoning</c> block (e.g. <c>summary: auto</c>); <see cref="ReasoningEffort"/> is merged into it as <c>effort</c>.</summary>
    public JsonObject? Reasoning { get; init; }
    /// <summary>Responses API <c>background: true</c>: the request returns at once and the reply is polled until it is complete.</summary>
    public bool Background { get; init; }
    /// <summary>How often a background response is polled (the original polls every 5 s; tests shorten it).</summary>
    public TimeSpan BackgroundPollInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>True when the YAML set <c>timeout</c>; otherwise a protocol may substitute its own default.</summary>
    public bool TimeoutFromConfig { get; init; }
    /// <summary>Unknown YAML fields, merged into the request body (the loader warns once about them).</summary>
    public IReadOnlyDictionary<string, JsonNode?> PassThrough { get; init; } = new Dictionary<string, JsonNode?>();
    /// <summary>File the config came from, for messages; never part of the identity.</summary>
    public string? SourcePath { get; init; }

    public ModelPricing Pricing => new(ReadCost, WriteCost);

    /// <summary>
    /// Content hash of everything that changes what the model writes (model, sampling, delimiters, request
    /// extras). Endpoints, keys, prices, concurrency and timeouts are left out: moving a run to another server
    /// or fleet keeps its identity.
    /// </summary>
    public string ContentHash()
    {
        var o = new JsonObject
        {
            ["model"] = Model,
            ["api"] = Api,
            ["max_tokens"] = MaxTokens,
            ["temperature"] = Temperature,
            ["top_p"] = TopP,
            ["top_k"] = TopK,
            ["reasoning_effort"] = ReasoningEffort,
            ["delimiters"] = new JsonArray(Delimiters.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
            ["use_openai_responses_api"] = UseOpenAiResponsesApi,
            ["extra_body"] = ExtraBody?.DeepClone(),
            ["reasoning"] = Reasoning?.DeepClone(),
            ["pass_through"] = new JsonObject(PassThrough.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))),
        };
        // Added only when set, so the identities of existing runs do not change.
        if (OriginalReplySplit) o["original_reply_split"] = true;
        if (Reasoning is null) o.Remove("reasoning");
        return Hashing.Sha256Hex(CanonicalJson.Write(o));
    }
}

/// <summary>Prices in USD per million tokens.</summary>
public sealed record ModelPricing(double ReadCostPerMillion, double WriteCostPerMillion)
{
    public double CostOf(long inputTokens, long outputTokens) =>
        (inputTokens * ReadCostPerMillion + outputTokens * WriteCostPerMillion) / 1_000_000.0;
}

/// <summary>Stable content hashes (hex sha256) used for run, sample and step identities.</summary>
public static class Hashing
{
    public static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Hash of several parts, each length-prefixed so ("ab","c") and ("a","bc") differ.</summary>
    public static string Sha256Hex(params string?[] parts)
    {
        var sb = new StringBuilder();
        foreach (var p in parts)
        {
            if (p is null) sb.Append("-1:");
            else sb.Append(p.Length).Append(':').Append(p);
            sb.Append('|');
        }
        return Sha256Hex(sb.ToString());
    }
}

/// <summary>JSON with object keys sorted, so equal content always hashes equally.</summary>
public static class CanonicalJson
{
    public static string Write(JsonNode? node)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream)) WriteNode(w, node);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNode(Utf8JsonWriter w, JsonNode? node)
    {
        switch (node)
        {
            case null: w.WriteNullValue(); break;
            case JsonObject o:
                w.WriteStartObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    w.WritePropertyName(k);
                    WriteNode(w, v);
                }
                w.WriteEndObject();
                break;
            case JsonArray a:
                w.WriteStartArray();
                foreach (var v in a) WriteNode(w, v);
                w.WriteEndArray();
                break;
            default: node.WriteTo(w); break;
        }
    }
}
