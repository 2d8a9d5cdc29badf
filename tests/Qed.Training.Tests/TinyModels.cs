using Qed.Inference.Checkpoints;
using Qed.Testing;
using Qed.Training.Models;

namespace Qed.Training.Tests;

/// <summary>Small Qwen3 shapes for fast CPU tests, and the fixture folder.</summary>
internal static class TinyModels
{
    public static string Fixtures => Path.Combine(RepoPaths.Fixtures, "training");
    public static string Tokenizer => Path.Combine(Fixtures, "tiny-tokenizer");

    public static Qwen3Config Config(bool tied = true, int layers = 2) => new()
    {
        HiddenSize = 64, IntermediateSize = 128, NumHiddenLayers = layers, NumAttentionHeads = 4, NumKeyValueHeads = 2,
        HeadDim = 16, VocabSize = 416, RopeTheta = 10000, TieWordEmbeddings = tied, MaxPositionEmbeddings = 512,
        TorchDtype = "float32", EosTokenIds = [410],
    };

    public static Qwen3ForCausalLM Model(bool tied = true, long seed = 1, int layers = 2)
    {
        var model = new Qwen3ForCausalLM(Config(tied, layers));
        model.InitializeWeights(seed);
        return model;
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "qed-training-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
