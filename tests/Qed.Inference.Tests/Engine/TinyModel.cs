using Qed.Inference.Checkpoints;
using Qed.Inference.Engine;
using Qed.Inference.Onnx;
using Qed.Testing;

namespace Qed.Inference.Tests.Engine;

/// <summary>A tiny random Qwen3 checkpoint with the fixture tokenizer, exported to ONNX once per test class:
/// the way tests (here and in training) get a runnable local model without downloading anything.</summary>
public sealed class TinyModel : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("qed-tiny-").FullName;
    public string Checkpoint => Path.Combine(Root, "checkpoint");
    public string Export => Path.Combine(Root, "onnx");
    public LocalModel Model { get; private set; } = null!;

    public static string TokenizerFixture => Path.Combine(RepoPaths.Fixtures, "inference", "tiny-model");

    public static async Task CreateAsync(string checkpoint, string export, OnnxExportOptions options, int seed = 42)
    {
        await RandomQwen3Checkpoint.WriteAsync(checkpoint, RandomQwen3Checkpoint.Tiny(), seed, CancellationToken.None);
        foreach (var f in Directory.GetFiles(TokenizerFixture, "*.json")) File.Copy(f, Path.Combine(checkpoint, Path.GetFileName(f)), true);
        await new Qwen3OnnxExporter().ExportAsync(checkpoint, export, options, CancellationToken.None);
    }

    public async Task InitializeAsync()
    {
        await CreateAsync(Checkpoint, Export, new OnnxExportOptions());
        Model = LocalModel.Open(Export, "tiny");
    }

    public Task DisposeAsync()
    {
        Model.Dispose();
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}
