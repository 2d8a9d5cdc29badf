using Qed.Inference.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Checkpoints;

/// <summary>Moves tensors between TorchSharp and the safetensors reader/writer of Qed.Inference.</summary>
public static class TensorConversion
{
    /// <summary>A float32 CPU tensor holding a checkpoint entry (bf16/f16/f64 are widened).</summary>
    public static Tensor ReadFloat32(SafetensorsCheckpoint checkpoint, string name)
    {
        var info = checkpoint.Info(name);
        var values = checkpoint.ReadSingles(name);
        return tensor(values, info.Shape.ToArray());
    }

    /// <summary>Adds a tensor to a writer, stored as <paramref name="dtype"/> (F32, BF16, F16).</summary>
    public static void Add(SafetensorsWriter writer, string name, Tensor value, TensorDType dtype)
    {
        using var cpu = value.detach().cpu().to_type(ScalarType.Float32).contiguous();
        var data = cpu.data<float>().ToArray();
        writer.Add(name, data, cpu.shape, dtype);
    }
}
