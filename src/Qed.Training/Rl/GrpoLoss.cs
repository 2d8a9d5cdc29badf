using static TorchSharp.torch;

namespace Qed.Training.Rl;

/// <summary>Group-relative advantages: reward − mean of the graded rewards in the group, optionally / std.</summary>
public static class GroupAdvantages
{
    /// <param name="rewards">one per rollout of the group; null = not graded (left out of the mean, no advantage)</param>
    /// <param name="divideByStd">divide by the group's (population) standard deviation; a group with std 0 keeps
    /// advantage 0 (zero-advantage groups are kept in the batch either way)</param>
    public static double?[] Compute(IReadOnlyList<double?> rewards, bool divideByStd, double epsilon = 1e-6)
    {
        var graded = rewards.Where(r => r.HasValue).Select(r => r!.Value).ToList();
        if (graded.Count == 0) return rewards.Select(_ => (double?)null).ToArray();
        double mean = graded.Average();
        double std = Math.Sqrt(graded.Sum(r => (r - mean) * (r - mean)) / graded.Count);
        return rewards.Select(r => r is null ? (double?)null
            : divideByStd ? (r.Value - mean) / (std + epsilon) : r.Value - mean).ToArray();
    }
}

/// <summary>Settings of the per-token policy loss.</summary>
/// <param name="ClipEpsilon">the ratio is clipped to [1 − ε, 1 + ε] (ε = 4 in the recipe, so effectively only from above)</param>
/// <param name="EntropyCoefficient">weight of the entropy bonus (added to the objective)</param>
/// <param name="KlCoefficient">weight of the k3 KL estimate to the reference policy (subtracted from the objective)</param>
public sealed record PolicyLossSettings(double ClipEpsilon, double EntropyCoefficient, double KlCoefficient = 0);

/// <summary>Sums over the tokens of one micro-batch, for the step's metrics (plain numbers, no graph).</summary>
public sealed record PolicyLossStats(long Tokens, double EntropySum, double RatioSum, double RatioSquaredSum, long ClippedTokens, double KlSum)
{
    public static readonly PolicyLossStats Empty = new(0, 0, 0, 0, 0, 0);

    public PolicyLossStats Add(PolicyLossStats o) => new(Tokens + o.Tokens, EntropySum + o.EntropySum, RatioSum + o.RatioSum,
        RatioSquaredSum + o.RatioSquaredSum, ClippedTokens + o.ClippedTokens, KlSum + o.KlSum);

    public double MeanEntropy => Tokens == 0 ? 0 : EntropySum / Tokens;
    public double MeanRatio => Tokens == 0 ? 1 : RatioSum / Tokens;
    public double ClipFraction => Tokens == 0 ? 0 : (double)ClippedTokens / Tokens;
    public double MeanKl => Tokens == 0 ? 0 : KlSum / Tokens;
    /// <summary>Effective sample size of the importance weights, as a fraction of the tokens: (Σr)² / (N·Σr²).</summary>
    public double EffectiveSampleSize => RatioSquaredSum <= 0 ? 1 : RatioSum * RatioSum / (Tokens * RatioSquaredSum);
}

/// <summary>
/// The per-token policy-gradient loss of the recipe. For token t of a rollout with advantage A:
/// objective_t = min(r_t·A, clip(r_t, 1−ε, 1+ε)·A) + β·H_t − κ·KL_t, with r_t = exp(log π(t) − log π_old(t)),
/// H_t the entropy of the temperature-scaled distribution and KL_t the k3 estimate exp(q−p) − (q−p) − 1 against the
/// reference log-prob q. Loss = −Σ_t objective_t / samples in the step (not a per-token mean: long proofs weigh more).
/// </summary>
public static class PolicyLoss
{
    /// <param name="logProbs">[N] log π(token) under the current policy (with grad)</param>
    /// <param name="oldLogProbs">[N] the sampling policy's log-probs</param>
    /// <param name="advantages">[N] each token carries its rollout's advantage</param>
    /// <param name="entropy">[N] entropy of the current policy's distribution at each token (with grad)</param>
    /// <param name="referenceLogProbs">[N] reference policy log-probs, or null without a KL term</param>
    /// <param name="samplesPerStep">the divisor: number of rollouts in the optimiser step</param>
    public static (Tensor Loss, PolicyLossStats Stats) Compute(Tensor logProbs, Tensor oldLogProbs, Tensor advantages, Tensor entropy,
        Tensor? referenceLogProbs, PolicyLossSettings settings, int samplesPerStep)
    {
        var ratio = (logProbs - oldLogProbs).exp();
        var clipped = ratio.clamp(1 - settings.ClipEpsilon, 1 + settings.ClipEpsilon);
        var unclippedTerm = ratio * advantages;
        var clippedTerm = clipped * advantages;
        var objective = minimum(unclippedTerm, clippedTerm) + settings.EntropyCoefficient * entropy;
        Tensor? kl = null;
        if (referenceLogProbs is not null && settings.KlCoefficient > 0)
        {
            var delta = referenceLogProbs - logProbs;
            kl = delta.exp() - delta - 1;
            objective = objective - settings.KlCoefficient * kl;
        }
        var loss = -objective.sum() / samplesPerStep;

        using var _ = no_grad();
        var r = ratio.detach();
        var stats = new PolicyLossStats(
            Tokens: logProbs.shape[0],
            EntropySum: entropy.detach().sum().item<float>(),
            RatioSum: r.sum().item<float>(),
            RatioSquaredSum: (r * r).sum().item<float>(),
            ClippedTokens: clippedTerm.detach().lt(unclippedTerm.detach()).sum().item<long>(),
            KlSum: kl is null ? 0 : kl.detach().sum().item<float>());
        return (loss, stats);
    }
}
