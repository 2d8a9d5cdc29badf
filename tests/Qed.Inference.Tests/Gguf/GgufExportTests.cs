using Qed.Inference.Checkpoints;
using Qed.Inference.Engine;
using Qed.Inference.Gguf;
using Qed.Inference.Tests.Engine;
using Qed.Inference.Tests.Onnx;

namespace Qed.Inference.Tests.Gguf;

/// <summary>Tiny random Qwen3 checkpoints written as GGUF by our exporter and run by llama.cpp, against the plain C# reference.</summary>
public sealed class GgufExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qed-gguf-").FullName;
    private static readonly int[] Prompt = [3, 141, 59, 26, 5, 358, 97, 9];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<(string Checkpoint, string Gguf)> ExportAsync(Qwen3Config config, string type, long maxShardBytes = 4L << 30)
    {
        var checkpoint = Path.Combine(_dir, "checkpoint");
        await RandomQwen3Checkpoint.WriteAsync(checkpoint, config, seed: 1234, CancellationToken.None, maxShardBytes);
        foreach (var f in Directory.GetFiles(TinyModel.TokenizerFixture, "*.json")) File.Copy(f, Path.Combine(checkpoint, Path.GetFileName(f)), true);
        var gguf = Path.Combine(_dir, $"model-{type}.gguf");
        await new Qwen3GgufExporter().ExportAsync(checkpoint, gguf, new GgufExportOptions { Type = type }, null, CancellationToken.None);
        return (checkpoint, gguf);
    }

    internal static float MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => MathF.Abs(x - y)).Max();

    [Fact]
    public async Task F32_logits_match_the_reference_at_every_position()
    {
        var config = RandomQwen3Checkpoint.Tiny();
        var (checkpoint, gguf) = await ExportAsync(config, "f32");
        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var expected = new Qwen3Reference(config, weights).Logits(Prompt);
        (expected[^1].Max() - expected[^1].Min()).Should().BeGreaterThan(5f);

        using var llama = new LlamaLogits(gguf);
        llama.VocabSize.Should().Be(config.VocabSize);
        var actual = llama.Feed(Prompt);
        for (int t = 0; t < Prompt.Length; t++)
            MaxAbsDiff(actual[t], expected[t]).Should().BeLessThan(1e-4f, $"position {t}");
    }

    [Fact]
    public async Task Greedy_tokens_equal_the_reference_for_32_steps_with_a_bf16_sharded_checkpoint()
    {
        // bf16 weights in shards exercise the conversion and the index; one KV head for four query heads the grouping.
        var config = RandomQwen3Checkpoint.Tiny() with { TorchDtype = "bfloat16", NumKeyValueHeads = 1 };
        var (checkpoint, gguf) = await ExportAsync(config, "f32", maxShardBytes: 64 * 1024);
        File.Exists(Path.Combine(checkpoint, SafetensorsCheckpoint.IndexFileName)).Should().BeTrue();
        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var reference = new Qwen3Reference(config, weights);
        using var llama = new LlamaLogits(gguf);

        var expected = Prompt.ToList();
        var actual = Prompt.ToList();
        var logits = llama.Feed(Prompt)[^1];
        for (int step = 0; step < 32; step++)
        {
            expected.Add(TokenSampler.ArgMax(reference.Logits(expected)[^1]));
            actual.Add(TokenSampler.ArgMax(logits));
            logits = llama.Feed([actual[^1]])[0];
        }
        actual.Should().Equal(expected);
        actual.Skip(Prompt.Length).Distinct().Count().Should().BeGreaterThan(3, "the continuation must not be one repeated token");
    }

    [Fact]
    public async Task A_tied_head_reads_the_embedding_table()
    {
        var config = RandomQwen3Checkpoint.Tiny() with { TieWordEmbeddings = true };
        var (checkpoint, gguf) = await ExportAsync(config, "f32");
        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var expected = new Qwen3Reference(config, weights).Logits(Prompt);
        using var llama = new LlamaLogits(gguf);
        var actual = llama.Feed(Prompt);
        for (int t = 0; t < Prompt.Length; t++) MaxAbsDiff(actual[t], expected[t]).Should().BeLessThan(1e-4f, $"position {t}");
    }

    [Fact]
    public async Task Q8_0_logits_stay_within_a_stated_bound_and_keep_the_top_token()
    {
        // Q8_0 (blocks of 32 with one scale, llama.cpp's quantizer; llama.cpp also rounds activations to 8 bits for the
        // dot products and keeps K/V in f16) on this model: max |Δ| measured 0.10–0.19 per position over a logit spread
        // of more than 5; bound 0.4.
        var config = RandomQwen3Checkpoint.Tiny();
        var (checkpoint, gguf) = await ExportAsync(config, "q8_0");
        var f32Size = 4L * RandomQwen3Checkpoint.TensorShapes(config).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b));
        new FileInfo(gguf).Length.Should().BeLessThan(f32Size / 3, "Q8_0 takes about a quarter of f32");
        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var expected = new Qwen3Reference(config, weights).Logits(Prompt);
        using var llama = new LlamaLogits(gguf);
        var actual = llama.Feed(Prompt);
        for (int t = 0; t < Prompt.Length; t++)
        {
            MaxAbsDiff(actual[t], expected[t]).Should().BeLessThan(0.4f, $"position {t}");
            TokenSampler.ArgMax(actual[t]).Should().Be(TokenSampler.ArgMax(expected[t]), $"position {t}");
        }
    }

    [Theory]
    [InlineData("f16")]
    [InlineData("bf16")]
    [InlineData("q4_0")]
    [InlineData("q4_k_m")]
    public async Task Every_type_loads_and_predicts_close_to_the_reference(string type)
    {
        var config = RandomQwen3Checkpoint.Tiny();
        var (checkpoint, gguf) = await ExportAsync(config, type);
        using var weights = SafetensorsCheckpoint.Open(checkpoint);
        var expected = new Qwen3Reference(config, weights).Logits(Prompt)[^1];
        using var llama = new LlamaLogits(gguf);
        var actual = llama.Feed(Prompt)[^1];
        // Pearson correlation of the last position's logits: 4-bit types lose detail but keep the shape.
        Correlation(actual, expected).Should().BeGreaterThan(type.StartsWith('q') ? 0.95 : 0.999);
    }

    [Fact]
    public async Task Unknown_type_is_refused_with_the_list()
    {
        var act = () => ExportAsync(RandomQwen3Checkpoint.Tiny(), "q3_xl");
        (await act.Should().ThrowAsync<QedException>()).WithMessage("*--type 'q3_xl'*f32, f16, bf16, q8_0, q4_0, q4_k_m, q5_k_m, q6_k*");
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Select(x => (double)x).Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++) { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb); }
        return sab / Math.Sqrt(saa * sbb);
    }
}
