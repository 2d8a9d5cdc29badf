using Qed.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Policy;

/// <summary>How to sample. Temperature 0 means greedy (argmax); log-probs are then those of temperature 1.</summary>
public sealed record PolicySamplingOptions(int MaxNewTokens, double Temperature = 1.0, double TopP = 1.0, IReadOnlyList<int>? StopTokenIds = null);

/// <summary>One sampled continuation: its tokens (the stop token included when one ended it), the log-probability
/// of each under softmax(logits / T) — the full distribution, before top-p truncation — and whether it stopped
/// on a stop token (false: it hit <see cref="PolicySamplingOptions.MaxNewTokens"/>).</summary>
public sealed record SampledSequence(int[] TokenIds, float[] LogProbs, bool Stopped);

/// <summary>
/// Samples continuations of one prompt from a <see cref="Qwen3ForCausalLM"/> with a KV cache: the prompt is
/// encoded once, its cache copied to every sample (a GRPO group shares its prompt), then one token per step
/// for the sequences still running; finished ones leave the batch.
/// </summary>
public sealed class PolicySampler(Qwen3ForCausalLM model)
{
    public IReadOnlyList<SampledSequence> Sample(IReadOnlyList<int> prompt, int count, PolicySamplingOptions options, Generator? generator = null)
    {
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty", nameof(prompt));
        var device = model.EmbeddingWeight.device;
        var stops = new HashSet<int>(options.StopTokenIds ?? []);
        var tokens = Enumerable.Range(0, count).Select(_ => new List<int>()).ToArray();
        var logProbs = Enumerable.Range(0, count).Select(_ => new List<float>()).ToArray();
        var stopped = new bool[count];
        var active = Enumerable.Range(0, count).ToList();   // batch row → sample index

        bool wasTraining = model.training;
        model.eval();
        using var cache = model.NewCache();
        using var noGrad = no_grad();
        try
        {
            Tensor? last;  // logits [rows, V] for the next token of each active row
            using (var scope = NewDisposeScope())
            {
                var ids = tensor(prompt.Select(i => (long)i).ToArray(), [1, prompt.Count], device: device);
                var logits = model.Forward(ids, cache: cache);
                using (var rows = zeros(count, ScalarType.Int64, device: device)) cache.Select(rows);
                last = logits.select(1, -1).expand(count, logits.shape[^1]).contiguous().MoveToOuterDisposeScope();
            }
            for (int step = 0; step < options.MaxNewTokens && active.Count > 0; step++)
            {
                using var scope = NewDisposeScope();
                var (next, nextLogProbs) = Choose(last!, options, generator);
                last.Dispose(); last = null;
                var chosen = next.data<long>().ToArray();
                var chosenLogProbs = nextLogProbs.data<float>().ToArray();
                var keep = new List<long>();
                var stillActive = new List<int>();
                for (int row = 0; row < active.Count; row++)
                {
                    int sample = active[row], token = (int)chosen[row];
                    tokens[sample].Add(token);
                    logProbs[sample].Add(chosenLogProbs[row]);
                    if (stops.Contains(token)) stopped[sample] = true;
                    else { keep.Add(row); stillActive.Add(sample); }
                }
                if (stillActive.Count == 0 || step + 1 == options.MaxNewTokens) { active = stillActive; break; }
                var keepIndex = tensor(keep.ToArray(), device: device);
                if (stillActive.Count != active.Count) cache.Select(keepIndex);
                var input = next.index_select(0, keepIndex).unsqueeze(1);                      // [rows, 1]
                var logits = model.Forward(input, cache: cache);                               // [rows, 1, V]
                last = logits.select(1, 0).MoveToOuterDisposeScope();
                active = stillActive;
            }
            last?.Dispose();
        }
        finally
        {
            if (wasTraining) model.train();
        }
        return Enumerable.Range(0, count).Select(i => new SampledSequence(tokens[i].ToArray(), logProbs[i].ToArray(), stopped[i])).ToList();
    }

    /// <summary>Next token per row and its log-probability under the temperature-scaled distribution.</summary>
    private static (Tensor Tokens, Tensor LogProbs) Choose(Tensor logits, PolicySamplingOptions options, Generator? generator)
    {
        var logits32 = logits.to_type(ScalarType.Float32);
        if (options.Temperature <= 0)
        {
            var greedy = logits32.argmax(-1);
            return (greedy, TokenLogProbs.Gather(logits32, greedy));
        }
        var scaled = logits32 / options.Temperature;
        var probs = scaled.softmax(-1);
        if (options.TopP < 1.0)
        {
            // Keep the smallest set of most likely tokens whose mass reaches top_p (the first token always stays).
            var (sorted, order) = probs.sort(-1, descending: true);
            var before = sorted.cumsum(-1) - sorted;
            var dropped = before.gt(options.TopP);
            var filtered = sorted.masked_fill(dropped, 0);
            probs = zeros_like(probs).scatter(-1, order, filtered);
        }
        var next = multinomial(probs, 1, generator: generator).squeeze(-1);
        return (next, TokenLogProbs.Gather(scaled, next));
    }
}
