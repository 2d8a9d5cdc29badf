using Qed.Inference.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) · up(x)). Parameter names: gate_proj, up_proj, down_proj.</summary>
public sealed class Qwen3Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear _gate, _up, _down;

    public Qwen3Mlp(Qwen3Config c) : base("Qwen3Mlp")
    {
        _gate = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: false);
        _up = nn.Linear(c.HiddenSize, c.IntermediateSize, hasBias: false);
        _down = nn.Linear(c.IntermediateSize, c.HiddenSize, hasBias: false);
        register_module("gate_proj", _gate); register_module("up_proj", _up); register_module("down_proj", _down);
    }

    public override Tensor forward(Tensor x) => _down.forward(nn.functional.silu(_gate.forward(x)) * _up.forward(x));
}
