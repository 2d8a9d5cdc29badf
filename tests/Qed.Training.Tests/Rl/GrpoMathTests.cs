using Qed.Training.Rl;
using static TorchSharp.torch;

namespace Qed.Training.Tests.Rl;

public class GrpoMathTests
{
    [Fact]
    public void Advantage_is_reward_minus_the_group_mean_and_skips_ungraded_rollouts()
    {
        // rewards 1, 0, 0.5, (not graded) → mean of the graded = 0.5
        var a = GroupAdvantages.Compute([1.0, 0.0, 0.5, null], divideByStd: false);
        a.Should().Equal(0.5, -0.5, 0.0, null);
    }

    [Fact]
    public void Advantage_divided_by_std_uses_the_population_std_and_keeps_zero_advantage_groups_at_zero()
    {
        // rewards 1, 0 → mean 0.5, std 0.5 → ±1
        var a = GroupAdvantages.Compute([1.0, 0.0], divideByStd: true, epsilon: 0);
        a[0]!.Value.Should().BeApproximately(1.0, 1e-12);
        a[1]!.Value.Should().BeApproximately(-1.0, 1e-12);
        GroupAdvantages.Compute([0.25, 0.25, 0.25], divideByStd: true).Should().Equal(0.0, 0.0, 0.0);
        GroupAdvantages.Compute([null, null], divideByStd: false).Should().OnlyContain(a => a == null);
    }

    [Fact]
    public void Loss_matches_hand_computed_values_with_clipping_entropy_and_the_samples_divisor()
    {
        // Three tokens. Token 0: ratio e^0 = 1, A = 0.5. Token 1: ratio e^{ln 2} = 2, A = -1.
        // Token 2: ratio e^{ln 6} = 6 > 1 + ε (ε = 4) with A = 1 → clipped to 5.
        using var scope = NewDisposeScope();
        var logp = tensor(new[] { -1.0f, (float)(Math.Log(2) - 2), (float)(Math.Log(6) - 3) }, requires_grad: true);
        var old = tensor(new[] { -1.0f, -2.0f, -3.0f });
        var adv = tensor(new[] { 0.5f, -1.0f, 1.0f });
        var entropy = tensor(new[] { 0.2f, 0.4f, 0.6f });
        var (loss, stats) = PolicyLoss.Compute(logp, old, adv, entropy, null, new PolicyLossSettings(4, 0.1), samplesPerStep: 2);

        // objective = min(1·0.5, 1·0.5) + min(2·-1, 2·-1) + min(6·1, 5·1) + 0.1·(0.2 + 0.4 + 0.6) = 0.5 − 2 + 5 + 0.12 = 3.62
        loss.item<float>().Should().BeApproximately(-3.62f / 2, 1e-5f);
        stats.Tokens.Should().Be(3);
        stats.ClippedTokens.Should().Be(1);
        stats.ClipFraction.Should().BeApproximately(1.0 / 3, 1e-9);
        stats.MeanRatio.Should().BeApproximately(3.0, 1e-5);
        // ESS = (Σr)² / (N Σr²) = 81 / (3 · 41)
        stats.EffectiveSampleSize.Should().BeApproximately(81.0 / 123, 1e-5);
        stats.MeanEntropy.Should().BeApproximately(0.4, 1e-6);

        // d loss / d logp_i = −A_i·r_i / samples for unclipped tokens, 0 for the clipped one.
        loss.backward();
        var grad = logp.grad!.data<float>().ToArray();
        grad[0].Should().BeApproximately(-0.5f / 2, 1e-5f);
        grad[1].Should().BeApproximately(2.0f / 2, 1e-5f);
        grad[2].Should().BeApproximately(0f, 1e-6f);
    }

    [Fact]
    public void On_policy_the_ratio_is_one_and_the_gradient_is_the_advantage_weighted_score()
    {
        using var scope = NewDisposeScope();
        var logp = tensor(new[] { -0.5f, -1.5f }, requires_grad: true);
        var (loss, stats) = PolicyLoss.Compute(logp, logp.detach().clone(), tensor(new[] { 1.0f, 1.0f }), zeros(2), null,
            new PolicyLossSettings(4, 0), samplesPerStep: 1);
        loss.item<float>().Should().BeApproximately(-2f, 1e-6f);
        stats.MeanRatio.Should().BeApproximately(1, 1e-6);
        stats.EffectiveSampleSize.Should().BeApproximately(1, 1e-6);
        stats.ClippedTokens.Should().Be(0);
    }

    [Fact]
    public void Kl_term_is_the_k3_estimate_against_the_reference()
    {
        using var scope = NewDisposeScope();
        // new log-prob −1, reference −2: δ = ref − new = −1 → k3 = e^{−1} + 1 − 1 = e^{−1}
        var logp = tensor(new[] { -1.0f }, requires_grad: true);
        var (loss, stats) = PolicyLoss.Compute(logp, tensor(new[] { -1.0f }), tensor(new[] { 0.0f }), zeros(1), tensor(new[] { -2.0f }),
            new PolicyLossSettings(4, 0, KlCoefficient: 0.5), samplesPerStep: 1);
        stats.MeanKl.Should().BeApproximately(Math.Exp(-1), 1e-6);
        loss.item<float>().Should().BeApproximately((float)(0.5 * Math.Exp(-1)), 1e-6f);
    }

    [Fact]
    public void A_step_draws_its_problems_from_seeded_epochs_covering_every_problem()
    {
        var first = RlProblems.ForStep(10, 5, seed: 3, step: 1);
        var second = RlProblems.ForStep(10, 5, seed: 3, step: 2);
        first.Concat(second).Should().BeEquivalentTo(Enumerable.Range(0, 10));
        RlProblems.ForStep(10, 5, seed: 3, step: 1).Should().Equal(first);
        RlProblems.ForStep(10, 5, seed: 4, step: 1).Should().NotEqual(first);
    }
}
