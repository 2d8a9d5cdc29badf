using Qed.Training.Models;
using Qed.Training.Policy;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Rl;

/// <summary>
/// The internal rollout engine: the KV-cache <see cref="PolicySampler"/> on a TorchSharp copy of the policy. It owns
/// its own model (the trainer's weights arrive as snapshots), so it can sample the next step's rollouts while the
/// trainer updates the policy. A group shares its prompt's cache. Log-probs are those of softmax(logits / T), the
/// distribution each token was drawn from.
/// </summary>
public sealed class InternalRolloutEngine : IRolloutEngine
{
    private readonly Qwen3ForCausalLM _model;
    private readonly PolicySampler _sampler;
    private readonly IReadOnlyList<int> _stopIds;
    private readonly Device _device;

    public long Version { get; private set; }

    /// <param name="model">the sampler's own model (not the one being trained)</param>
    /// <param name="stopIds">tokens that end a completion (kept as its last token)</param>
    public InternalRolloutEngine(Qwen3ForCausalLM model, IEnumerable<int> stopIds, Device? device = null)
    {
        _model = model;
        _model.eval();
        _sampler = new PolicySampler(model);
        _stopIds = stopIds.ToList();
        _device = device ?? CPU;
    }

    public Task SyncAsync(PolicySnapshot snapshot, CancellationToken cancellationToken)
    {
        snapshot.CopyInto(_model);
        Version = snapshot.Version;
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Rollout>> GenerateAsync(IReadOnlyList<RolloutRequest> requests, SamplingSettings sampling, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Generate(requests, sampling, cancellationToken), cancellationToken,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Samples every request's completions; the result lists them request by request, in order. One
    /// generator seeded by the batch seed draws every token, so a batch is reproducible.</summary>
    public IReadOnlyList<Rollout> Generate(IReadOnlyList<RolloutRequest> requests, SamplingSettings sampling, CancellationToken cancellationToken)
    {
        var generator = new Generator((ulong)sampling.Seed, _device);
        var options = new PolicySamplingOptions(sampling.MaxNewTokens, sampling.Temperature, 1.0, _stopIds);
        var results = new List<Rollout>();
        foreach (var request in requests)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var s in _sampler.Sample(request.PromptIds, request.Count, options, generator))
                results.Add(new Rollout(request.Key, request.PromptIds, s.TokenIds, s.LogProbs, !s.Stopped, Version));
        }
        return results;
    }

    public ValueTask DisposeAsync()
    {
        _model.Dispose();
        return ValueTask.CompletedTask;
    }
}
