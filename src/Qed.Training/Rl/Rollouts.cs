namespace Qed.Training.Rl;

/// <summary>A prompt to sample from: its token ids and how many completions to draw.</summary>
/// <param name="Key">the caller's handle (e.g. "step 3 / problem 17"), carried into the rollouts</param>
public sealed record RolloutRequest(string Key, IReadOnlyList<int> PromptIds, int Count);

/// <summary>Sampling settings shared by every engine. Log-probs are of the temperature-scaled distribution.</summary>
/// <param name="Seed">seed of this batch (internal engine: a fresh generator per batch, so a batch is reproducible;
/// remote engines pass it as the request seed)</param>
public sealed record SamplingSettings(double Temperature, int MaxNewTokens, long Seed);

/// <summary>
/// One sampled completion: the token ids the policy produced and the log-probability the sampling policy gave each
/// (temperature-scaled), the policy version it was sampled with, and whether it hit the token limit.
/// </summary>
public sealed record Rollout(
    string Key,
    IReadOnlyList<int> PromptIds,
    IReadOnlyList<int> CompletionIds,
    IReadOnlyList<float> CompletionLogProbs,
    bool Truncated,
    long PolicyVersion)
{
    public int Length => CompletionIds.Count;
}

/// <summary>
/// Something that samples completions with log-probs: the internal sampler on the TorchSharp policy or remote
/// vLLM/SGLang servers. After every optimiser step the trainer hands it the new weights (<see cref="SyncAsync"/>);
/// rollouts carry the version they were sampled with.
/// </summary>
public interface IRolloutEngine : IAsyncDisposable
{
    /// <summary>The policy version rollouts are being sampled with now.</summary>
    long Version { get; }

    Task<IReadOnlyList<Rollout>> GenerateAsync(IReadOnlyList<RolloutRequest> requests, SamplingSettings sampling, CancellationToken cancellationToken);

    /// <summary>Makes the snapshot's weights (and version) the ones future rollouts use; returns once every server has them.</summary>
    Task SyncAsync(PolicySnapshot snapshot, CancellationToken cancellationToken);
}

/// <summary>A frozen copy of the policy's weights at one version (float32, CPU), by Hugging Face name.</summary>
public sealed class PolicySnapshot(long version, IReadOnlyList<(string Name, TorchSharp.torch.Tensor Value)> weights) : IDisposable
{
    public long Version { get; } = version;
    public IReadOnlyList<(string Name, TorchSharp.torch.Tensor Value)> Weights { get; } = weights;

    public static PolicySnapshot Of(Models.Qwen3ForCausalLM model, long version)
    {
        using var _ = TorchSharp.torch.no_grad();
        return new PolicySnapshot(version, model.NamedWeights()
            .Select(w => (w.Name, w.Parameter.detach().cpu().clone().DetachFromDisposeScope())).ToList());
    }

    public void CopyInto(Models.Qwen3ForCausalLM model)
    {
        using var _ = TorchSharp.torch.no_grad();
        var byName = Weights.ToDictionary(w => w.Name, w => w.Value, StringComparer.Ordinal);
        foreach (var (name, p) in model.NamedWeights()) p.copy_(byName[name]);
    }

    public void Dispose()
    {
        foreach (var (_, t) in Weights) t.Dispose();
    }
}
