using Qed.Inference.Checkpoints;
using Qed.Inference.Gguf;
using Qed.Inference.Tests.Engine;

namespace Qed.Inference.Tests.Llama;

/// <summary>A tiny random Qwen3 checkpoint with the fixture tokenizer, exported once per test class to an f32 GGUF.</summary>
public sealed class TinyGguf : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("qed-tiny-gguf-").FullName;
    public string Checkpoint => Path.Combine(Root, "checkpoint");
    public string File => Path.Combine(Root, "tiny.gguf");

    public static async Task CreateAsync(string checkpoint, string gguf, string type = "f32", int seed = 42)
    {
        await RandomQwen3Checkpoint.WriteAsync(checkpoint, RandomQwen3Checkpoint.Tiny(), seed, CancellationToken.None);
        foreach (var f in Directory.GetFiles(TinyModel.TokenizerFixture, "*.json")) System.IO.File.Copy(f, Path.Combine(checkpoint, Path.GetFileName(f)), true);
        await new Qwen3GgufExporter().ExportAsync(checkpoint, gguf, new GgufExportOptions { Type = type }, null, CancellationToken.None);
    }

    public Task InitializeAsync() => CreateAsync(Checkpoint, File);

    public Task DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}
