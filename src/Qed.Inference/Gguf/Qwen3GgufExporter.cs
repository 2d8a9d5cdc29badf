using System.Buffers.Binary;
using LLama;
using LLama.Native;
using Qed.Inference.Checkpoints;
using Qed.Inference.Llama;

namespace Qed.Inference.Gguf;

/// <summary>The weight types <c>qed export-gguf --type</c> writes.</summary>
public static class GgufWeightTypes
{
    public static readonly IReadOnlyList<string> All = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"];

    /// <summary>llama.cpp's file type for a quantized weight type; null for the types we write ourselves.</summary>
    public static LLamaFtype? QuantizedFileType(string type) => type switch
    {
        "q8_0" => LLamaFtype.MOSTLY_Q8_0,
        "q4_0" => LLamaFtype.MOSTLY_Q4_0,
        "q4_k_m" => LLamaFtype.MOSTLY_Q4_K_M,
        "q5_k_m" => LLamaFtype.MOSTLY_Q5_K_M,
        "q6_k" => LLamaFtype.MOSTLY_Q6_K,
        "f32" or "f16" or "bf16" => null,
        _ => throw new QedException($"--type '{type}': expected one of {string.Join(", ", All)}"),
    };
}

public sealed record GgufExportOptions
{
    /// <summary>One of <see cref="GgufWeightTypes.All"/>.</summary>
    public string Type { get; init; } = "f16";
    /// <summary>Threads for llama.cpp's quantizer (0 = its default).</summary>
    public int QuantizeThreads { get; init; }
    public string? Name { get; init; }
}

/// <summary>
/// Writes a Hugging Face Qwen3 checkpoint as a GGUF v3 file that llama.cpp loads as architecture <c>qwen3</c>:
/// tensor names and metadata keys as llama.cpp's loader reads them, the tokenizer from tokenizer.json, the chat
/// template. f32/f16/bf16 are written here (1-D norm weights always f32, as llama.cpp expects); the quantized types
/// are made by llama.cpp's own <c>llama_model_quantize</c> from a lossless intermediate in the checkpoint's dtype.
/// Qwen3 uses NeoX-style rotary embeddings, so q/k rows are written as they are (no LLaMA-style permutation).
/// </summary>
public sealed class Qwen3GgufExporter
{
    public async Task ExportAsync(string checkpointDirectory, string outputPath, GgufExportOptions options,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var quantized = GgufWeightTypes.QuantizedFileType(options.Type);
        var config = Qwen3Config.Load(checkpointDirectory);
        if (config.RopeScalingJson is not null)
            throw new QedException($"{Path.Combine(checkpointDirectory, Qwen3Config.FileName)}: field 'rope_scaling' is set; scaled rotary embeddings are not supported by the GGUF exporter yet");
        if (config.AttentionBias)
            throw new QedException($"{Path.Combine(checkpointDirectory, Qwen3Config.FileName)}: field 'attention_bias' is true; Qwen3 checkpoints have no attention bias");
        var tokenizer = GgufTokenizerMetadata.Load(checkpointDirectory, config.VocabSize, config.BosTokenId);
        using var weights = SafetensorsCheckpoint.Open(checkpointDirectory);
        var directory = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        Directory.CreateDirectory(directory);

        // Quantized types start from the checkpoint's own precision, so nothing is rounded twice.
        var sourceType = TensorDTypes.FromTorchName(config.TorchDtype) switch
        {
            TensorDType.BF16 => GgmlType.BF16,
            TensorDType.F16 => GgmlType.F16,
            _ => GgmlType.F32,
        };
        var matrixType = options.Type switch { "f16" => GgmlType.F16, "bf16" => GgmlType.BF16, "f32" => GgmlType.F32, _ => sourceType };
        var fileType = matrixType switch { GgmlType.F32 => 0u, GgmlType.F16 => 1u, _ => 32u };
        var writer = new GgufWriter();
        WriteMetadata(writer, config, options.Name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(checkpointDirectory))), fileType);
        tokenizer.WriteTo(writer);
        foreach (var (hfName, ggufName) in TensorNames(config))
        {
            if (!weights.Contains(hfName)) throw new QedException($"{checkpointDirectory}: tensor '{hfName}' is missing from the checkpoint");
            var info = weights.Info(hfName);
            var type = info.Shape.Count == 1 ? GgmlType.F32 : matrixType;
            writer.AddTensor(new GgufTensor(ggufName, info.Shape.ToArray(), type, s => Convert(weights, info, type, s)));
        }

        var target = quantized is null ? outputPath : outputPath + ".source.gguf";
        int lastReported = -1;
        await writer.WriteAsync(target, new InlineProgress<(int Done, int Total)>(p =>
        {
            int percent = 100 * p.Done / p.Total;
            if (percent / 10 != lastReported / 10) { lastReported = percent; progress?.Report($"write {options.Type} {percent}% ({p.Done}/{p.Total} tensors)"); }
        }), cancellationToken);
        if (quantized is not LLamaFtype ftype) return;
        try
        {
            progress?.Report($"quantize {options.Type} with llama.cpp");
            LlamaRuntime.EnsureLoaded();
            var tmp = outputPath + ".partial";
            bool ok = await Task.Run(() => LLamaQuantizer.Quantize(target, tmp, ftype, options.QuantizeThreads > 0 ? options.QuantizeThreads : -1,
                allowRequantize: false, quantizeOutputTensor: true), cancellationToken);
            if (!ok) throw new QedException($"{outputPath}: llama.cpp could not quantize the model to {options.Type}");
            File.Move(tmp, outputPath, overwrite: true);
        }
        finally
        {
            File.Delete(target);
        }
    }

    private static void WriteMetadata(GgufWriter w, Qwen3Config c, string name, uint fileType)
    {
        const string a = "qwen3";
        w.Add("general.architecture", a);
        w.Add("general.name", name);
        w.Add("general.file_type", fileType);
        w.Add($"{a}.context_length", (uint)c.MaxPositionEmbeddings);
        w.Add($"{a}.embedding_length", (uint)c.HiddenSize);
        w.Add($"{a}.block_count", (uint)c.NumHiddenLayers);
        w.Add($"{a}.feed_forward_length", (uint)c.IntermediateSize);
        w.Add($"{a}.attention.head_count", (uint)c.NumAttentionHeads);
        w.Add($"{a}.attention.head_count_kv", (uint)c.NumKeyValueHeads);
        w.Add($"{a}.attention.key_length", (uint)c.HeadDim);
        w.Add($"{a}.attention.value_length", (uint)c.HeadDim);
        w.Add($"{a}.rope.freq_base", (float)c.RopeTheta);
        w.Add($"{a}.attention.layer_norm_rms_epsilon", (float)c.RmsNormEps);
    }

    /// <summary>Hugging Face tensor name → llama.cpp's name, in llama.cpp's order. A tied head has no output.weight:
    /// llama.cpp then reads the embedding table as the head.</summary>
    public static IEnumerable<(string Hf, string Gguf)> TensorNames(Qwen3Config c)
    {
        yield return ("model.embed_tokens.weight", "token_embd.weight");
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string p = $"model.layers.{i}.", b = $"blk.{i}.";
            yield return (p + "input_layernorm.weight", b + "attn_norm.weight");
            yield return (p + "self_attn.q_proj.weight", b + "attn_q.weight");
            yield return (p + "self_attn.k_proj.weight", b + "attn_k.weight");
            yield return (p + "self_attn.v_proj.weight", b + "attn_v.weight");
            yield return (p + "self_attn.o_proj.weight", b + "attn_output.weight");
            yield return (p + "self_attn.q_norm.weight", b + "attn_q_norm.weight");
            yield return (p + "self_attn.k_norm.weight", b + "attn_k_norm.weight");
            yield return (p + "post_attention_layernorm.weight", b + "ffn_norm.weight");
            yield return (p + "mlp.gate_proj.weight", b + "ffn_gate.weight");
            yield return (p + "mlp.up_proj.weight", b + "ffn_up.weight");
            yield return (p + "mlp.down_proj.weight", b + "ffn_down.weight");
        }
        yield return ("model.norm.weight", "output_norm.weight");
        if (!c.TieWordEmbeddings) yield return ("lm_head.weight", "output.weight");
    }

    /// <summary>Streams one tensor converted to <paramref name="type"/>, a million elements at a time.</summary>
    private static void Convert(SafetensorsCheckpoint weights, TensorInfo info, GgmlType type, Stream output)
    {
        var raw = weights.Bytes(info.Name);
        int inSize = info.DType.SizeOf(), outSize = type == GgmlType.F32 ? 4 : 2;
        bool same = (info.DType, type) is (TensorDType.F32, GgmlType.F32) or (TensorDType.F16, GgmlType.F16) or (TensorDType.BF16, GgmlType.BF16);
        if (same) { output.Write(raw); return; }
        const int chunk = 1 << 20;
        var floats = new float[chunk];
        var bytes = new byte[chunk * outSize];
        for (long start = 0; start < info.ElementCount; start += chunk)
        {
            int n = (int)Math.Min(chunk, info.ElementCount - start);
            TensorDTypes.ToSingles(raw.Slice((int)(start * inSize), n * inSize), info.DType, floats.AsSpan(0, n));
            for (int i = 0; i < n; i++)
            {
                switch (type)
                {
                    case GgmlType.F32: BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), floats[i]); break;
                    case GgmlType.F16: BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(2 * i), (Half)floats[i]); break;
                    default: BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), TensorDTypes.SingleToBFloat16(floats[i])); break;
                }
            }
            output.Write(bytes, 0, n * outSize);
        }
    }
}
