using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>
/// Rotary position embedding in the "rotate half" layout Hugging Face uses for Qwen3: frequencies
/// θ^(−2i/d) for i &lt; d/2, duplicated across both halves of the head. No learned parameters.
/// </summary>
public sealed class RotaryEmbedding
{
    private readonly Tensor _invFreq; // [d/2] float32

    public RotaryEmbedding(int headDim, double theta)
    {
        // Same arithmetic as transformers: float32 exponent, float32 power.
        using var exponent = arange(0, headDim, 2, ScalarType.Int64).to_type(ScalarType.Float32) / headDim;
        _invFreq = (1.0f / pow(tensor((float)theta), exponent)).DetachFromDisposeScope();
    }

    /// <summary>cos and sin for the given positions. <paramref name="positionIds"/>: [B, T] int64 → two [B, T, d] tensors.</summary>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positionIds, ScalarType dtype)
    {
        var invFreq = _invFreq.device == positionIds.device ? _invFreq : _invFreq.to(positionIds.device);
        var freqs = positionIds.to_type(ScalarType.Float32).unsqueeze(-1) * invFreq;   // [B, T, d/2]
        var emb = cat([freqs, freqs], -1);                                               // [B, T, d]
        var cos = emb.cos();
        var sin = emb.sin();
        return dtype == ScalarType.Float32 ? (cos, sin) : (cos.to_type(dtype), sin.to_type(dtype));
    }

    /// <summary>Applies the rotation to x [B, H, T, d] with cos/sin [B, T, d].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], -1);
        return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
    }
}
