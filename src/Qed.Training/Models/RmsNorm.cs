using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>Root-mean-square norm as Qwen3 computes it: statistics in float32, the learned scale applied after
/// casting back to the input dtype. Parameter name: <c>weight</c>.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter _weight;
    private readonly double _eps;

    public RmsNorm(long size, double eps) : base("RmsNorm")
    {
        _eps = eps;
        _weight = nn.Parameter(ones(size));
        register_parameter("weight", _weight);
    }

    public Parameter Weight => _weight;

    public override Tensor forward(Tensor x)
    {
        var dtype = x.dtype;
        var h = x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);
        var variance = h.square().mean([-1L], keepdim: true);
        h = h * (variance + _eps).rsqrt();
        return _weight * (dtype == ScalarType.Float32 ? h : h.to_type(dtype));
    }
}
