using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>
/// Activation checkpointing for one decoder layer (the reentrant scheme of torch.utils.checkpoint): the forward
/// runs without building a graph; the backward recomputes the layer with gradients on and back-propagates
/// through the recomputation, which accumulates the parameter gradients and returns the input gradient.
/// </summary>
internal sealed class CheckpointedLayer : autograd.SingleTensorFunction<CheckpointedLayer>
{
    public override string Name => "Qwen3CheckpointedLayer";

    public static Tensor Run(Qwen3DecoderLayer layer, Tensor x, Tensor cos, Tensor sin, Tensor? mask) =>
        apply(x, layer, cos, sin, mask!);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        ctx.save_for_backward([x]);
        ctx.save_data("layer", vars[1]);
        ctx.save_data("cos", vars[2]);
        ctx.save_data("sin", vars[3]);
        ctx.save_data("mask", vars[4]);
        using var _ = no_grad();
        return ((Qwen3DecoderLayer)vars[1]).Forward(x, (Tensor)vars[2], (Tensor)vars[3], vars[4] as Tensor, null);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var x = ctx.get_saved_variables()[0];
        var layer = (Qwen3DecoderLayer)ctx.get_data("layer");
        using var _ = enable_grad();
        var input = x.detach().requires_grad_(true);
        var output = layer.Forward(input, (Tensor)ctx.get_data("cos"), (Tensor)ctx.get_data("sin"), ctx.get_data("mask") as Tensor, null);
        autograd.backward([output], [gradOutput]);
        return [input.grad!, null!, null!, null!, null!];   // one entry per forward argument; only x needs a gradient
    }
}
