using Qed.Inference.Checkpoints;
using Qed.Inference.Engine;
using Qed.Inference.Onnx;
using Qed.Training.Checkpoints;
using Qed.Training.Policy;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Tests.Models;

/// <summary>The TorchSharp module and the ONNX Runtime run of the exported checkpoint compute the same function.</summary>
public class OnnxParityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Onnx_export_of_our_checkpoint_matches_the_torchsharp_forward(bool tied)
    {
        var dir = TinyModels.TempDir();
        var checkpoint = Path.Combine(dir, "hf");
        var onnx = Path.Combine(dir, "onnx");
        using var model = TinyModels.Model(tied, seed: 21);
        // Scale weights up a little so logits are far from uniform and a wrong op would show.
        using (no_grad()) foreach (var (name, p) in model.NamedWeights()) if (!name.Contains("norm")) p.mul_(4);
        model.eval();
        await Qwen3Checkpoint.SaveAsync(model, checkpoint, TensorDType.F32, TinyModels.Tokenizer, CancellationToken.None);
        await new Qwen3OnnxExporter().ExportAsync(checkpoint, onnx, new OnnxExportOptions(), CancellationToken.None);

        int[] tokens = [409, 31, 7, 250, 99, 12, 410, 409, 5, 77, 300, 2];
        float[,] expected;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var logits = model.Forward(tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]))[0];   // [T, V]
            var flat = logits.data<float>().ToArray();
            expected = new float[tokens.Length, model.Config.VocabSize];
            Buffer.BlockCopy(flat, 0, expected, 0, flat.Length * sizeof(float));
        }

        using var decoder = new OnnxDecoder(Path.Combine(onnx, Qwen3OnnxExporter.ModelFileName));
        double maxDelta = 0;
        // Token by token through ONNX Runtime's KV cache: logits at every position.
        using (var cache = decoder.NewCache())
            for (int t = 0; t < tokens.Length; t++)
            {
                var row = decoder.Forward(cache, tokens.AsSpan(t, 1), CancellationToken.None);
                for (int v = 0; v < row.Length; v++) maxDelta = Math.Max(maxDelta, Math.Abs(row[v] - expected[t, v]));
            }
        // And one prefill of the whole prompt.
        using (var cache = decoder.NewCache())
        {
            var row = decoder.Forward(cache, tokens, CancellationToken.None);
            for (int v = 0; v < row.Length; v++) maxDelta = Math.Max(maxDelta, Math.Abs(row[v] - expected[tokens.Length - 1, v]));
        }
        output.WriteLine($"tied={tied}: max |Δlogit| TorchSharp vs ONNX Runtime = {maxDelta:E2}");
        maxDelta.Should().BeLessThan(1e-4);

        // Greedy generation: the same 16 tokens from both engines.
        var ours = new PolicySampler(model).Sample(tokens, 1, new PolicySamplingOptions(16, Temperature: 0))[0].TokenIds;
        var theirs = new List<int>();
        using (var cache = decoder.NewCache())
        {
            var row = decoder.Forward(cache, tokens, CancellationToken.None);
            for (int i = 0; i < 16; i++)
            {
                int next = Array.IndexOf(row, row.Max());
                theirs.Add(next);
                row = decoder.Forward(cache, new[] { next }, CancellationToken.None);
            }
        }
        ours.Should().Equal(theirs);
    }
}
