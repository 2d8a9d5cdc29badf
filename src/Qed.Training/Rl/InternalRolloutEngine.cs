using Qed.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Rl;

/// <summary>
/// The internal rollout engine: batched sampling on a TorchSharp copy of the policy with a KV cache. It owns its
/// own model (the trainer's weights arrive as snapshots), so it can sample the next step's rollouts while the
/// trainer updates the policy. Rows of one batch share a prompt length (no padding); finished rows leave the cache.
/// Log-probs are those of softmax(logits / T), the distribution the token was drawn from.
/// </summary>
public sealed class InternalRolloutEngine : IRolloutEngine
{
    private readonly Qwen3ForCausalLM _model;
    private readonly HashSet<int> _stopIds;
    private readonly int _batchSize;
    private readonly Device _device;

    public long Version { get; private set; }

    /// <param name="model">the sampler's own model (not the one being trained)</param>
    /// <param name="stopIds">tokens that end a completion (kept as its last token)</param>
    public InternalRolloutEngine(Qwen3ForCausalLM model, IEnumerable<int> stopIds, int batchSize, Device? device = null)
    {
        _model = model;
        _model.eval();
        _stopIds = stopIds.ToHashSet();
        _batchSize = Math.Max(1, batchSize);
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

    /// <summary>Samples every request's completions; the result lists them request by request, in order.</summary>
    public IReadOnlyList<Rollout> Generate(IReadOnlyList<RolloutRequest> requests, SamplingSettings sampling, CancellationToken cancellationToken)
    {
        var generator = new Generator((ulong)sampling.Seed, _device);
        var rows = requests.SelectMany((r, i) => Enumerable.Range(0, r.Count).Select(j => (Request: i, Sample: j))).ToList();
        var results = new Rollout?[rows.Count];
        // Same-length prompts decode together; the order is fixed, so the generator's draws are reproducible.
        var byLength = rows.Select((row, index) => (row, index)).GroupBy(x => requests[x.row.Request].PromptIds.Count).OrderBy(g => g.Key);
        foreach (var group in byLength)
            foreach (var chunk in group.Chunk(_batchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var completions = SampleChunk(chunk.Select(c => requests[c.row.Request].PromptIds).ToList(), sampling, generator);
                for (int k = 0; k < chunk.Length; k++)
                {
                    var request = requests[chunk[k].row.Request];
                    var (ids, logProbs, truncated) = completions[k];
                    results[chunk[k].index] = new Rollout(request.Key, request.PromptIds, ids, logProbs, truncated, Version);
                }
            }
        return results.Select(r => r!).ToList();
    }

    private List<(List<int> Ids, List<float> LogProbs, bool Truncated)> SampleChunk(IReadOnlyList<IReadOnlyList<int>> prompts, SamplingSettings sampling, Generator generator)
    {
        int b = prompts.Count;
        var outputs = Enumerable.Range(0, b).Select(_ => (Ids: new List<int>(), LogProbs: new List<float>(), Truncated: false)).ToList();
        using var _ = no_grad();
        using var cache = _model.NewCache();
        using var scope = NewDisposeScope();
        var alive = Enumerable.Range(0, b).ToList();                  // chunk rows still generating, in cache row order
        var ids = tensor(prompts.SelectMany(p => p.Select(x => (long)x)).ToArray(), [b, prompts[0].Count], device: _device);
        var logits = _model.Logits(_model.HiddenStates(ids, cache: cache)[.., -1]);          // [b, V]
        for (int t = 0; t < sampling.MaxNewTokens; t++)
        {
            using var stepScope = NewDisposeScope();
            var logp = (logits / sampling.Temperature).log_softmax(-1);                      // [alive, V]
            var next = multinomial(logp.exp(), 1, replacement: true, generator: generator);   // [alive, 1]
            var picked = logp.gather(1, next).squeeze(1).cpu().data<float>().ToArray();
            var tokens = next.squeeze(1).cpu().data<long>().ToArray();
            var keep = new List<long>();
            for (int k = 0; k < alive.Count; k++)
            {
                var o = outputs[alive[k]];
                o.Ids.Add((int)tokens[k]);
                o.LogProbs.Add(picked[k]);
                if (!_stopIds.Contains((int)tokens[k])) keep.Add(k);
            }
            if (t == sampling.MaxNewTokens - 1)
            {
                foreach (var k in keep) outputs[alive[(int)k]] = outputs[alive[(int)k]] with { Truncated = true };
                break;
            }
            if (keep.Count == 0) break;
            if (keep.Count < alive.Count)
            {
                var keepIndex = tensor(keep.ToArray(), device: _device);
                cache.Select(keepIndex);
                next = next.index_select(0, keepIndex);
                alive = keep.Select(k => alive[(int)k]).ToList();
            }
            logits = _model.Logits(_model.HiddenStates(next, cache: cache)[.., -1]).MoveToOuterDisposeScope();
        }
        return outputs;
    }

    public ValueTask DisposeAsync()
    {
        _model.Dispose();
        return ValueTask.CompletedTask;
    }
}
