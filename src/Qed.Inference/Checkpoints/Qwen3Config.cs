using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Inference.Checkpoints;

/// <summary>
/// The architecture fields of a Hugging Face Qwen3 <c>config.json</c> (model_type "qwen3",
/// Qwen3ForCausalLM). Field names in JSON are the Hugging Face ones; <see cref="Load"/> names the file and field
/// on bad input, <see cref="Save"/> writes a config.json that transformers, vLLM and our exporter read.
/// </summary>
public sealed record Qwen3Config
{
    public const string FileName = "config.json";

    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    /// <summary>Per-head width; Qwen3 sets it explicitly (128), it is not always hidden_size / heads.</summary>
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 1_000_000;
    public bool TieWordEmbeddings { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 40_960;
    /// <summary>"bfloat16", "float16" or "float32": the dtype the weights are stored in.</summary>
    public string TorchDtype { get; init; } = "bfloat16";
    public int? BosTokenId { get; init; }
    /// <summary>One or more end-of-sequence ids (config.json allows an int or a list).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    public bool AttentionBias { get; init; }
    public string HiddenAct { get; init; } = "silu";
    /// <summary>The raw <c>rope_scaling</c> object when the config has one (YaRN etc.), else null.</summary>
    public string? RopeScalingJson { get; init; }

    public int QueryWidth => NumAttentionHeads * HeadDim;
    public int KeyValueWidth => NumKeyValueHeads * HeadDim;

    /// <summary>Qwen3-4B-Thinking-2507 (the base of QED-Nano), for size estimates and defaults.</summary>
    public static Qwen3Config Qwen3_4B_Thinking_2507 { get; } = new()
    {
        HiddenSize = 2560, IntermediateSize = 9728, NumHiddenLayers = 36, NumAttentionHeads = 32, NumKeyValueHeads = 8,
        HeadDim = 128, VocabSize = 151_936, RmsNormEps = 1e-6, RopeTheta = 5_000_000, TieWordEmbeddings = true,
        MaxPositionEmbeddings = 262_144, TorchDtype = "bfloat16", BosTokenId = 151_643, EosTokenIds = [151_645],
    };

    /// <summary>Reads <c>config.json</c> from a checkpoint directory or a file path.</summary>
    public static Qwen3Config Load(string directoryOrFile)
    {
        var path = Directory.Exists(directoryOrFile) ? Path.Combine(directoryOrFile, FileName) : directoryOrFile;
        if (!File.Exists(path)) throw new QedException($"{path}: config.json not found");
        return Parse(File.ReadAllText(path), path);
    }

    public static Qwen3Config Parse(string json, string source = "config.json")
    {
        JsonObject root;
        try { root = JsonNode.Parse(json) as JsonObject ?? throw new QedException($"{source}: not a JSON object"); }
        catch (JsonException e) { throw new QedException($"{source}: invalid JSON ({e.Message})", e); }

        var modelType = root["model_type"]?.GetValue<string>();
        if (modelType is not null && modelType != "qwen3")
            throw new QedException($"{source}: field 'model_type' is '{modelType}', expected 'qwen3'");

        int Int(string field) => root[field] is JsonValue v && v.TryGetValue<int>(out var i) ? i
            : throw new QedException($"{source}: field '{field}' is missing or not an integer");
        int? OptInt(string field) => root[field] is JsonValue v && v.TryGetValue<int>(out var i) ? i : null;
        double Num(string field, double fallback) => root[field] is JsonValue v ? (v.TryGetValue<double>(out var d) ? d
            : throw new QedException($"{source}: field '{field}' is not a number")) : fallback;
        bool Bool(string field, bool fallback) => root[field] is JsonValue v ? (v.TryGetValue<bool>(out var b) ? b
            : throw new QedException($"{source}: field '{field}' is not true/false")) : fallback;

        int heads = Int("num_attention_heads");
        int hidden = Int("hidden_size");
        var eos = root["eos_token_id"] switch
        {
            null => [],
            JsonArray a => a.Select(x => x!.GetValue<int>()).ToArray(),
            JsonValue v when v.TryGetValue<int>(out var one) => new[] { one },
            _ => throw new QedException($"{source}: field 'eos_token_id' is neither an integer nor a list of integers"),
        };
        var rope = root["rope_scaling"];
        var config = new Qwen3Config
        {
            HiddenSize = hidden,
            IntermediateSize = Int("intermediate_size"),
            NumHiddenLayers = Int("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = OptInt("num_key_value_heads") ?? heads,
            HeadDim = OptInt("head_dim") ?? hidden / heads,
            VocabSize = Int("vocab_size"),
            RmsNormEps = Num("rms_norm_eps", 1e-6),
            RopeTheta = Num("rope_theta", 1_000_000),
            TieWordEmbeddings = Bool("tie_word_embeddings", false),
            MaxPositionEmbeddings = OptInt("max_position_embeddings") ?? 40_960,
            TorchDtype = root["torch_dtype"]?.GetValue<string>() ?? root["dtype"]?.GetValue<string>() ?? "bfloat16",
            BosTokenId = OptInt("bos_token_id"),
            EosTokenIds = eos,
            AttentionBias = Bool("attention_bias", false),
            HiddenAct = root["hidden_act"]?.GetValue<string>() ?? "silu",
            RopeScalingJson = rope is null ? null : rope.ToJsonString(),
        };
        config.Validate(source);
        return config;
    }

    /// <summary>Fails with the offending field when the shapes cannot describe a Qwen3 decoder.</summary>
    public void Validate(string source = "config.json")
    {
        void Positive(string field, int value) { if (value <= 0) throw new QedException($"{source}: field '{field}' must be positive, got {value}"); }
        Positive("hidden_size", HiddenSize); Positive("intermediate_size", IntermediateSize);
        Positive("num_hidden_layers", NumHiddenLayers); Positive("num_attention_heads", NumAttentionHeads);
        Positive("num_key_value_heads", NumKeyValueHeads); Positive("head_dim", HeadDim); Positive("vocab_size", VocabSize);
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new QedException($"{source}: field 'num_key_value_heads' ({NumKeyValueHeads}) must divide num_attention_heads ({NumAttentionHeads})");
        if (HeadDim % 2 != 0) throw new QedException($"{source}: field 'head_dim' must be even for rotary embeddings, got {HeadDim}");
        if (HiddenAct != "silu") throw new QedException($"{source}: field 'hidden_act' is '{HiddenAct}'; only silu is supported");
        TensorDTypes.FromTorchName(TorchDtype);
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("Qwen3ForCausalLM"),
            ["model_type"] = "qwen3",
            ["attention_bias"] = AttentionBias,
            ["attention_dropout"] = 0.0,
            ["hidden_act"] = HiddenAct,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["rope_scaling"] = RopeScalingJson is null ? null : JsonNode.Parse(RopeScalingJson),
            ["vocab_size"] = VocabSize,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["torch_dtype"] = TorchDtype,
            ["use_cache"] = true,
        };
        if (BosTokenId is int bos) o["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) o["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) o["eos_token_id"] = new JsonArray(EosTokenIds.Select(i => (JsonNode)i).ToArray());
        return o;
    }

    /// <summary>Writes <c>config.json</c> into a checkpoint directory.</summary>
    public async Task SaveAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, FileName),
            ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    }
}
