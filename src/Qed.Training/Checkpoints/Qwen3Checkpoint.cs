using Qed.Inference.Checkpoints;
using Qed.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Checkpoints;

/// <summary>
/// Reads and writes a Qwen3 model in the Hugging Face layout: <c>config.json</c>, <c>model.safetensors</c>
/// (or shards + index) and the tokenizer files, so transformers, vLLM and <c>qed export-onnx</c> load it.
/// </summary>
public static class Qwen3Checkpoint
{
    /// <summary>Files copied along with the weights when present in the source model directory.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json",
         "added_tokens.json", "chat_template.jinja", "generation_config.json"];

    /// <summary>Builds the module from <c>config.json</c> and loads every parameter by name (as float32).</summary>
    public static Qwen3ForCausalLM Load(string directory, Device? device = null)
    {
        var config = Qwen3Config.Load(directory);
        var model = new Qwen3ForCausalLM(config);
        LoadWeights(model, directory);
        if (device is not null) model.to(device);
        return model;
    }

    /// <summary>Copies the checkpoint's tensors into the model's parameters; names and shapes must match exactly.</summary>
    public static void LoadWeights(Qwen3ForCausalLM model, string directory)
    {
        using var checkpoint = SafetensorsCheckpoint.Open(directory);
        var expected = model.NamedWeights();
        var missing = expected.Where(w => !checkpoint.Contains(w.Name)).Select(w => w.Name).ToList();
        if (missing.Count > 0)
            throw new QedException($"{directory}: the checkpoint lacks {missing.Count} weight(s) the model needs, e.g. '{missing[0]}'");
        var known = expected.Select(w => w.Name).ToHashSet(StringComparer.Ordinal);
        var extra = checkpoint.Names.Where(n => !known.Contains(n) && !(model.Config.TieWordEmbeddings && n == "lm_head.weight")).ToList();
        if (extra.Count > 0)
            throw new QedException($"{directory}: the checkpoint has {extra.Count} weight(s) the model does not, e.g. '{extra[0]}'");

        using var _ = no_grad();
        foreach (var (name, parameter) in expected)
        {
            using var scope = NewDisposeScope();
            var info = checkpoint.Info(name);
            if (!info.Shape.SequenceEqual(parameter.shape))
                throw new QedException($"{directory}: weight '{name}' has shape [{string.Join(", ", info.Shape)}], the config implies [{string.Join(", ", parameter.shape)}]");
            parameter.copy_(TensorConversion.ReadFloat32(checkpoint, name));
        }
    }

    /// <summary>Writes config.json and the weights (as <paramref name="dtype"/>) into <paramref name="directory"/>,
    /// plus the tokenizer files found in <paramref name="tokenizerSource"/>.</summary>
    public static async Task SaveAsync(Qwen3ForCausalLM model, string directory, TensorDType dtype, string? tokenizerSource,
        CancellationToken cancellationToken, long maxShardBytes = 5L << 30)
    {
        Directory.CreateDirectory(directory);
        var writer = new SafetensorsWriter();
        foreach (var (name, parameter) in model.NamedWeights())
            TensorConversion.Add(writer, name, parameter, dtype);
        foreach (var stale in Directory.GetFiles(directory, "*.safetensors").Concat(Directory.GetFiles(directory, SafetensorsCheckpoint.IndexFileName)))
            File.Delete(stale);
        await writer.WriteCheckpointAsync(directory, maxShardBytes, cancellationToken);
        await (model.Config with { TorchDtype = dtype.TorchName() }).SaveAsync(directory, cancellationToken);
        if (tokenizerSource is not null) CopyTokenizerFiles(tokenizerSource, directory);
    }

    public static void CopyTokenizerFiles(string fromDirectory, string toDirectory)
    {
        if (Path.GetFullPath(fromDirectory) == Path.GetFullPath(toDirectory)) return;
        foreach (var file in TokenizerFiles)
        {
            var source = Path.Combine(fromDirectory, file);
            if (File.Exists(source)) File.Copy(source, Path.Combine(toDirectory, file), overwrite: true);
        }
    }
}
