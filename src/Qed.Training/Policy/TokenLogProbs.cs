using Qed.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Policy;

/// <summary>
/// Log-probabilities of given tokens under a policy, from temperature-scaled logits — the quantity a
/// policy-gradient loss needs, and the one <see cref="PolicySampler"/> records while sampling (same temperature,
/// same formula), so sampler and trainer agree on the behaviour policy.
/// </summary>
public static class TokenLogProbs
{
    /// <summary>log softmax(logits / T) at <paramref name="targets"/>: logits [.., V], targets [..] int64 → [..].
    /// Computed as gathered logit − logsumexp, without materialising the full log-softmax.</summary>
    public static Tensor Gather(Tensor logits, Tensor targets, double temperature = 1.0)
    {
        var scaled = temperature == 1.0 ? logits : logits / temperature;
        if (scaled.dtype != ScalarType.Float32 && scaled.dtype != ScalarType.Float64) scaled = scaled.to_type(ScalarType.Float32);
        return scaled.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - scaled.logsumexp(-1);
    }

    /// <summary>Entropy of softmax(logits / T) per position: [.., V] → [..].</summary>
    public static Tensor Entropy(Tensor logits, double temperature = 1.0)
    {
        var scaled = (temperature == 1.0 ? logits : logits / temperature).to_type(ScalarType.Float32);
        var logp = scaled.log_softmax(-1);
        return -(logp.exp() * logp).sum(-1);
    }

    /// <summary>
    /// For token sequences <paramref name="ids"/> [B, T]: log p(ids[:, t+1] | ids[:, ≤t]) for t = 0..T-2 → [B, T-1],
    /// with gradients when grad mode is on. Optional position ids / attention mask as in <see cref="Qwen3ForCausalLM.Forward"/>.
    /// </summary>
    public static Tensor OfSequences(Qwen3ForCausalLM model, Tensor ids, double temperature = 1.0, Tensor? positionIds = null, Tensor? attentionMask = null)
    {
        long t = ids.shape[1];
        var logits = model.Forward(ids, positionIds, attentionMask).narrow(1, 0, t - 1);   // [B, T-1, V]
        return Gather(logits, ids.narrow(1, 1, t - 1), temperature);
    }
}
