using Qed.Inference.Checkpoints;
using Qed.Inference.Engine;
using Qed.Inference.Onnx;

namespace Qed.Inference.Tests.Onnx;

/// <summary>Tiny random Qwen3 checkpoints, exported by us and run in ONNX Runtime, against the plain C# reference.</summary>
public sealed class ExportedDecoderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qed-export-").FullName;
    private static readonly int[] Prompt = [3, 141, 59, 26, 5, 358, 97, 9];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(string Checkpoint, string Export)> ExportAsync(Qwen3Config config, OnnxExportOptions options, long maxShardBytes = 4L << 30)
    {
        var checkpoint = Path.Combine(_dir, "checkpoint");
        var export = Path.Combine(_dir, "onnx");
        await RandomQwen3Checkpoint.WriteAsync(checkpoint, config, seed: 1234, CancellationToken.None, maxShardBytes);
        await new Qwen3OnnxExporter().ExportAsync(checkpoint, export, options, CancellationToken.None);
        return (checkpoint, export);
    }

    [Fact]
    public async Task Fp32_logits_match_the_reference_with_and_without_the_kv_cache()
    {
        // bf16 weights in shards exercise the conversion and the index on the way in.
        var config = RandomQwen3Checkpoint.Tiny() with { TorchDtype = "bfloat16", TieWordEmbeddings = true };
        var (checkpoint, export) = await ExportAsync(config, new OnnxExportOptions(), maxShardBytes: 64 * 1024);
        File.Exists(Path.Combine(checkpoint, SafetensorsCheckpoint.IndexFileName)).Should().BeTrue();
        File.Exists(Path.Combine(export, "model.onnx.data")).Should().BeTrue();

        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var expected = new Qwen3Reference(config, weights).Logits(Prompt);
        // The comparison means something only if the logits are far from uniform.
        (expected[^1].Max() - expected[^1].Min()).Should().BeGreaterThan(5f);

        using var decoder = new OnnxDecoder(Path.Combine(export, "model.onnx"));
        decoder.LayerCount.Should().Be(2);
        decoder.VocabSize.Should().Be(config.VocabSize);

        using (var whole = decoder.NewCache())
            MaxAbsDiff(decoder.Forward(whole, Prompt, default), expected[^1]).Should().BeLessThan(1e-4f);

        using var stepwise = decoder.NewCache();
        MaxAbsDiff(decoder.Forward(stepwise, Prompt.AsSpan(0, 4), default), expected[3]).Should().BeLessThan(1e-4f);
        for (int t = 4; t < Prompt.Length; t++)
            MaxAbsDiff(decoder.Forward(stepwise, Prompt.AsSpan(t, 1), default), expected[t]).Should().BeLessThan(1e-4f, $"position {t}");
        stepwise.Length.Should().Be(Prompt.Length);
    }

    [Fact]
    public async Task Untied_head_and_attention_without_grouping_match_too()
    {
        var config = RandomQwen3Checkpoint.Tiny() with { NumKeyValueHeads = 4, NumHiddenLayers = 1 };
        var (checkpoint, export) = await ExportAsync(config, new OnnxExportOptions());
        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var expected = new Qwen3Reference(config, weights).Logits(Prompt);
        using var decoder = new OnnxDecoder(Path.Combine(export, "model.onnx"));
        using var cache = decoder.NewCache();
        MaxAbsDiff(decoder.Forward(cache, Prompt, default), expected[^1]).Should().BeLessThan(1e-4f);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Int4_greedy_tokens_equal_the_reference_on_identically_quantized_weights(bool tied)
    {
        // Untied: the head is quantized from lm_head.weight; tied: from the embedding table.
        var config = RandomQwen3Checkpoint.Tiny() with { TieWordEmbeddings = tied };
        // accuracy_level 0: fp32 compute, so the engine is exact against the dequantized weights.
        var options = new OnnxExportOptions { Int4 = true, BlockSize = 32, AccuracyLevel = 0 };
        var (checkpoint, export) = await ExportAsync(config, options);
        var fp32Bytes = new FileInfo(Path.Combine(checkpoint, "model.safetensors")).Length;
        new FileInfo(Path.Combine(export, "model.onnx.data")).Length.Should().BeLessThan(fp32Bytes, "linear weights are 4-bit");

        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var reference = new Qwen3Reference(config, weights,
            (_, w, n, k) => Int4BlockQuantizer.Quantize(w, n, k, options.BlockSize).Dequantize());

        using var decoder = new OnnxDecoder(Path.Combine(export, "model.onnx"));
        using var cache = decoder.NewCache();
        var engineTokens = new List<int>();
        var logits = decoder.Forward(cache, Prompt, default);
        var referenceTokens = new List<int>();
        var sequence = Prompt.ToList();
        for (int step = 0; step < 12; step++)
        {
            int next = TokenSampler.ArgMax(logits);
            engineTokens.Add(next);
            logits = decoder.Forward(cache, [next], default);

            var refLogits = reference.Logits(sequence)[^1];
            int refNext = TokenSampler.ArgMax(refLogits);
            referenceTokens.Add(refNext);
            sequence.Add(refNext);
        }
        engineTokens.Should().Equal(referenceTokens);
    }

    [Fact]
    public async Task Int4_exports_default_to_accuracy_level_4_which_rounds_activations_but_stays_close()
    {
        new OnnxExportOptions().AccuracyLevel.Should().Be(4);
        var config = RandomQwen3Checkpoint.Tiny();
        var (_, exact) = await ExportAsync(config, new OnnxExportOptions { Int4 = true, AccuracyLevel = 0 });
        var fast = Path.Combine(_dir, "onnx-level4");
        await new Qwen3OnnxExporter().ExportAsync(Path.Combine(_dir, "checkpoint"), fast, new OnnxExportOptions { Int4 = true }, default);
        float[] Last(string dir)
        {
            using var decoder = new OnnxDecoder(Path.Combine(dir, "model.onnx"));
            using var cache = decoder.NewCache();
            return decoder.Forward(cache, Prompt, default);
        }
        var a = Last(exact);
        var b = Last(fast);
        // int8 activations change the logits a little (so the attribute took effect), not the prediction.
        MaxAbsDiff(a, b).Should().BeGreaterThan(0f).And.BeLessThan(0.5f);
        TokenSampler.ArgMax(b).Should().Be(TokenSampler.ArgMax(a));
    }

    [Fact]
    public void Int4_codes_round_trip_within_half_a_step()
    {
        var random = new Random(7);
        int n = 3, k = 80; // k not a multiple of the block: the last block is padded
        var w = Enumerable.Range(0, n * k).Select(_ => random.NextSingle() * 2 - 0.5f).ToArray();
        var q = Int4BlockQuantizer.Quantize(w, n, k, 32);
        q.BlocksPerRow.Should().Be(3);
        var back = q.Dequantize();
        for (int i = 0; i < w.Length; i++)
        {
            float step = q.Scales[(i / k) * 3 + (i % k) / 32];
            Math.Abs(back[i] - w[i]).Should().BeLessThanOrEqualTo(step / 2 + 1e-6f);
        }
    }

    [Fact]
    public async Task Missing_tensor_is_named()
    {
        var checkpoint = Path.Combine(_dir, "broken");
        var config = RandomQwen3Checkpoint.Tiny();
        await config.SaveAsync(checkpoint, default);
        await new SafetensorsWriter().Add("model.embed_tokens.weight", new float[config.VocabSize * config.HiddenSize], [config.VocabSize, config.HiddenSize])
            .WriteCheckpointAsync(checkpoint, 1L << 30, default);
        var act = () => new Qwen3OnnxExporter().ExportAsync(checkpoint, Path.Combine(_dir, "out"), new OnnxExportOptions(), default);
        await act.Should().ThrowAsync<QedException>().WithMessage("*no tensor named 'model.layers.0.input_layernorm.weight'*");
    }

    private static float MaxAbsDiff(float[] a, float[] b)
    {
        a.Length.Should().Be(b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
