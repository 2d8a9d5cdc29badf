namespace Qed.Inference.Checkpoints;

/// <summary>
/// Writes a Qwen3 checkpoint with seeded random weights (config.json + safetensors, Hugging Face tensor names):
/// the models tests and benchmarks export and run, since no real weights can be downloaded offline.
/// Scales are chosen so logits spread over several units and greedy decoding is not a coin toss.
/// </summary>
public static class RandomQwen3Checkpoint
{
    /// <summary>A 2-layer model small enough to run in milliseconds (GQA with 4 query / 2 key-value heads). Its head is
    /// untied: with random tied embeddings a model mostly predicts its own input token, which makes dull tests.</summary>
    public static Qwen3Config Tiny(int vocabSize = 512) => new()
    {
        HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        HeadDim = 16, VocabSize = vocabSize, RmsNormEps = 1e-6, RopeTheta = 1_000_000, TieWordEmbeddings = false,
        MaxPositionEmbeddings = 4096, TorchDtype = "float32", BosTokenId = null, EosTokenIds = [],
    };

    /// <summary>Every tensor a Qwen3ForCausalLM checkpoint holds, by Hugging Face name, with its shape [rows, cols] or [n].</summary>
    public static IEnumerable<(string Name, long[] Shape)> TensorShapes(Qwen3Config c)
    {
        yield return ("model.embed_tokens.weight", [c.VocabSize, c.HiddenSize]);
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}.";
            yield return (p + "input_layernorm.weight", [c.HiddenSize]);
            yield return (p + "self_attn.q_proj.weight", [c.QueryWidth, c.HiddenSize]);
            yield return (p + "self_attn.k_proj.weight", [c.KeyValueWidth, c.HiddenSize]);
            yield return (p + "self_attn.v_proj.weight", [c.KeyValueWidth, c.HiddenSize]);
            yield return (p + "self_attn.o_proj.weight", [c.HiddenSize, c.QueryWidth]);
            yield return (p + "self_attn.q_norm.weight", [c.HeadDim]);
            yield return (p + "self_attn.k_norm.weight", [c.HeadDim]);
            yield return (p + "post_attention_layernorm.weight", [c.HiddenSize]);
            yield return (p + "mlp.gate_proj.weight", [c.IntermediateSize, c.HiddenSize]);
            yield return (p + "mlp.up_proj.weight", [c.IntermediateSize, c.HiddenSize]);
            yield return (p + "mlp.down_proj.weight", [c.HiddenSize, c.IntermediateSize]);
        }
        yield return ("model.norm.weight", [c.HiddenSize]);
        if (!c.TieWordEmbeddings) yield return ("lm_head.weight", [c.VocabSize, c.HiddenSize]);
    }

    /// <summary>Writes config.json and model.safetensors (or shards above <paramref name="maxShardBytes"/>) into
    /// <paramref name="directory"/>, weights stored as the config's torch_dtype.</summary>
    public static async Task WriteAsync(string directory, Qwen3Config config, int seed, CancellationToken cancellationToken,
        long maxShardBytes = 4L << 30)
    {
        config.Validate();
        var random = new Random(seed);
        var dtype = TensorDTypes.FromTorchName(config.TorchDtype);
        var writer = new SafetensorsWriter();
        foreach (var (name, shape) in TensorShapes(config))
        {
            var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
            if (shape.Length == 1)
            {
                // The final norm sets the logit scale: about 2 units of spread, so sampling still samples.
                float scale = name == "model.norm.weight" ? 2f / MathF.Sqrt(config.HiddenSize) : 1f;
                for (int i = 0; i < values.Length; i++) values[i] = scale * (1f + 0.1f * Gaussian(random));
            }
            else
            {
                float std = name.Contains("embed_tokens") || name.StartsWith("lm_head") ? 1f : 1f / MathF.Sqrt(shape[1]);
                for (long i = 0; i < values.Length; i++) values[i] = std * Gaussian(random);
            }
            writer.Add(name, values, shape, dtype);
        }
        await writer.WriteCheckpointAsync(directory, maxShardBytes, cancellationToken);
        await config.SaveAsync(directory, cancellationToken);
    }

    private static float Gaussian(Random r) =>
        MathF.Sqrt(-2f * MathF.Log(1f - r.NextSingle())) * MathF.Cos(2f * MathF.PI * r.NextSingle());
}
