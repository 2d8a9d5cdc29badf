using Qed.Inference.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>Pre-norm transformer block. Parameter names: self_attn, mlp, input_layernorm, post_attention_layernorm.</summary>
public sealed class Qwen3DecoderLayer : nn.Module
{
    private readonly Qwen3Attention _attention;
    private readonly Qwen3Mlp _mlp;
    private readonly RmsNorm _inputNorm, _postAttentionNorm;
    private readonly int _index;

    public Qwen3DecoderLayer(Qwen3Config c, int index) : base("Qwen3DecoderLayer")
    {
        _index = index;
        _attention = new Qwen3Attention(c);
        _mlp = new Qwen3Mlp(c);
        _inputNorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        _postAttentionNorm = new RmsNorm(c.HiddenSize, c.RmsNormEps);
        register_module("self_attn", _attention);
        register_module("mlp", _mlp);
        register_module("input_layernorm", _inputNorm);
        register_module("post_attention_layernorm", _postAttentionNorm);
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache)
    {
        var h = x + _attention.Forward(_inputNorm.forward(x), cos, sin, mask, cache, _index);
        return h + _mlp.forward(_postAttentionNorm.forward(h));
    }
}
