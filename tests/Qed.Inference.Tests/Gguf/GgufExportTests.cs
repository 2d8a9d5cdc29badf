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
}
