using Qed.Inference.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>
/// Grouped-query self-attention with per-head RMSNorm on queries and keys (Qwen3's q_norm/k_norm, applied
/// before the rotation). Parameter names: q_proj, k_proj, v_proj, o_proj, q_norm, k_norm.
/// </summary>
public sealed class Qwen3Attention : nn.Module
{
    private readonly Linear _q, _k, _v, _o;
    private readonly RmsNorm _qNorm, _kNorm;
    private readonly int _heads, _kvHeads, _headDim;

    public Qwen3Attention(Qwen3Config c) : base("Qwen3Attention")
    {
        _heads = c.NumAttentionHeads; _kvHeads = c.NumKeyValueHeads; _headDim = c.HeadDim;
        _q = nn.Linear(c.HiddenSize, c.QueryWidth, hasBias: c.AttentionBias);
        _k = nn.Linear(c.HiddenSize, c.KeyValueWidth, hasBias: c.AttentionBias);
        _v = nn.Linear(c.HiddenSize, c.KeyValueWidth, hasBias: c.AttentionBias);
        _o = nn.Linear(c.QueryWidth, c.HiddenSize, hasBias: c.AttentionBias);
        _qNorm = new RmsNorm(c.HeadDim, c.RmsNormEps);
        _kNorm = new RmsNorm(c.HeadDim, c.RmsNormEps);
        register_module("q_proj", _q); register_module("k_proj", _k); register_module("v_proj", _v);
        register_module("o_proj", _o); register_module("q_norm", _qNorm); register_module("k_norm", _kNorm);
    }

    /// <param name="x">[B, T, C]</param>
    /// <param name="cos">[B, T, d]</param>
    /// <param name="mask">null for plain causal attention, else a boolean [B, 1, T, T_total] (true = may attend)</param>
    /// <param name="cache">when given, this step's keys/values are appended and attention spans the whole cache</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? mask, KvCache? cache, int layer)
    {
        long b = x.shape[0], t = x.shape[1];
        var q = _qNorm.forward(_q.forward(x).view(b, t, _heads, _headDim)).transpose(1, 2);     // [B, H, T, d]
        var k = _kNorm.forward(_k.forward(x).view(b, t, _kvHeads, _headDim)).transpose(1, 2);   // [B, Hkv, T, d]
        var v = _v.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);                    // [B, Hkv, T, d]
        q = RotaryEmbedding.Apply(q, cos, sin);
        k = RotaryEmbedding.Apply(k, cos, sin);

        long past = cache?.LengthOf(layer) ?? 0;
        if (cache is not null) (k, v) = cache.Append(layer, k, v);
        if (_kvHeads != _heads)
        {
            k = RepeatKv(k, _heads / _kvHeads);
            v = RepeatKv(v, _heads / _kvHeads);
        }

        Tensor attended;
        if (is_grad_enabled() && x.device.type == DeviceType.CPU)
        {
            // CPU training: attention written out. libtorch 2.10's fused CPU kernel (scaled_dot_product_attention) made
            // a training step 3x slower on the benchmark's scaled config (its backward); on GPU and without grad it is used.
            var scores = q.matmul(k.transpose(-1, -2)).mul_(1.0 / Math.Sqrt(_headDim));           // [B, H, T, T_total]
            var allowed = mask ?? CausalMask(t, past, x.device);
            attended = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity).softmax(-1).matmul(v);
        }
        else if (mask is not null) attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        else if (t == 1) attended = nn.functional.scaled_dot_product_attention(q, k, v);                  // one new token sees everything cached
        else if (past == 0) attended = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
        else attended = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: CausalMask(t, past, x.device));

        return _o.forward(attended.transpose(1, 2).reshape(b, t, _heads * _headDim));
    }

    /// <summary>[B, Hkv, T, d] → [B, Hkv·groups, T, d], each key/value head shared by <paramref name="groups"/> query heads.</summary>
    private static Tensor RepeatKv(Tensor x, int groups)
    {
        long b = x.shape[0], h = x.shape[1], t = x.shape[2], d = x.shape[3];
        return x.unsqueeze(2).expand(b, h, groups, t, d).reshape(b, h * groups, t, d);
    }

    /// <summary>Causal mask for <paramref name="t"/> new queries after <paramref name="past"/> cached positions: [T, past+T].</summary>
    private static Tensor CausalMask(long t, long past, Device device) =>
        ones(t, past + t, ScalarType.Bool, device).tril(past);
}
