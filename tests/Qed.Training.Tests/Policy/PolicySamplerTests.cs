using Qed.Training.Policy;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Tests.Policy;

public class PolicySamplerTests
{
    private static readonly int[] Prompt = [409, 12, 40, 7, 99, 410, 409, 3];

    [Fact]
    public void Greedy_sampling_follows_the_argmax_of_full_forwards()
    {
        using var model = TinyModels.Model(seed: 5);
        var sampled = new PolicySampler(model).Sample(Prompt, 1, new PolicySamplingOptions(10, Temperature: 0))[0];
        sampled.TokenIds.Should().HaveCount(10);

        // Reference: no cache, the whole sequence re-run for every token.
        var sequence = Prompt.Select(i => (long)i).ToList();
        using var _ = no_grad();
        for (int i = 0; i < 10; i++)
        {
            using var scope = NewDisposeScope();
            var logits = model.Forward(tensor(sequence.ToArray(), [1, sequence.Count]));
            sequence.Add(logits[0, -1].argmax().item<long>());
        }
        sampled.TokenIds.Select(t => (long)t).Should().Equal(sequence.Skip(Prompt.Length));
    }

    [Fact]
    public void Sampled_log_probs_equal_the_trainers_log_probs_at_the_same_temperature()
    {
        using var model = TinyModels.Model(seed: 6);
        var generator = new Generator(42);
        var samples = new PolicySampler(model).Sample(Prompt, 4, new PolicySamplingOptions(12, Temperature: 0.8), generator);
        samples.Should().HaveCount(4);
        samples.Select(s => string.Join(",", s.TokenIds)).Distinct().Should().HaveCountGreaterThan(1, "a random model at T=0.8 rarely repeats itself");

        foreach (var sample in samples)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(Prompt.Concat(sample.TokenIds).Select(i => (long)i).ToArray(), [1, Prompt.Length + sample.TokenIds.Length]);
            using var _ = no_grad();
            var logProbs = TokenLogProbs.OfSequences(model, ids, temperature: 0.8)[0]
                .narrow(0, Prompt.Length - 1, sample.TokenIds.Length).data<float>().ToArray();
            logProbs.Zip(sample.LogProbs, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-4f);
        }
    }

    [Fact]
    public void Sampling_stops_at_a_stop_token_and_is_reproducible_with_a_seeded_generator()
    {
        using var model = TinyModels.Model(seed: 8);
        var options = new PolicySamplingOptions(40, Temperature: 1.5, StopTokenIds: Enumerable.Range(0, 200).ToArray());
        var a = new PolicySampler(model).Sample(Prompt, 3, options, new Generator(7));
        var b = new PolicySampler(model).Sample(Prompt, 3, options, new Generator(7));
        a.Select(s => s.TokenIds).Should().BeEquivalentTo(b.Select(s => s.TokenIds), o => o.WithStrictOrdering());
        foreach (var s in a.Where(s => s.Stopped)) s.TokenIds[^1].Should().BeLessThan(200);
        a.Should().Contain(s => s.Stopped, "half the vocabulary stops a sample");
    }

    [Fact]
    public void Entropy_of_a_uniform_distribution_is_log_vocab()
    {
        using var scope = NewDisposeScope();
        TokenLogProbs.Entropy(zeros(2, 416)).data<float>().ToArray().Should().AllSatisfy(e => e.Should().BeApproximately((float)Math.Log(416), 1e-4f));
    }
}
