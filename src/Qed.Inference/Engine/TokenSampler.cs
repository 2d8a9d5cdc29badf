namespace Qed.Inference.Engine;

/// <summary>How the next token is chosen. Temperature 0 means greedy (argmax); otherwise softmax(logits / T)
/// restricted to the <see cref="TopK"/> most likely tokens (0 = all) and then to the smallest set whose
/// probability reaches <see cref="TopP"/>, then to the tokens at least <see cref="MinP"/> times as likely as the best,
/// in that order. A seed makes sampling reproducible.</summary>
public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 1f;
    public float TopP { get; init; } = 1f;
    public int TopK { get; init; }
    /// <summary>0 = off.</summary>
    public float MinP { get; init; }
    public long? Seed { get; init; }

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    public void Validate()
    {
        if (Temperature < 0 || float.IsNaN(Temperature)) throw new QedException($"temperature must be ≥ 0, got {Temperature}");
        if (TopP is <= 0 or > 1 || float.IsNaN(TopP)) throw new QedException($"top_p must be in (0, 1], got {TopP}");
        if (TopK < 0) throw new QedException($"top_k must be ≥ 0, got {TopK}");
        if (MinP is < 0 or > 1 || float.IsNaN(MinP)) throw new QedException($"min_p must be in [0, 1], got {MinP}");
    }
}

/// <summary>Picks tokens from logits for one sequence; owns its random stream, so sequences do not interfere.</summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;

    public TokenSampler(SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _random = options.Seed is long seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_options.Temperature == 0) return ArgMax(logits);

        var order = new int[logits.Length];
        var keys = new float[logits.Length];
        for (int i = 0; i < logits.Length; i++) { order[i] = i; keys[i] = -logits[i]; }
        Array.Sort(keys, order); // most likely first; stable enough: ties resolved by the sort, deterministically

        int count = _options.TopK > 0 ? Math.Min(_options.TopK, order.Length) : order.Length;
        var probs = new double[count];
        double max = -keys[0] / _options.Temperature, sum = 0;
        for (int i = 0; i < count; i++) { probs[i] = Math.Exp(-keys[i] / _options.Temperature - max); sum += probs[i]; }

        if (_options.TopP < 1)
        {
            double cumulative = 0;
            int keep = 0;
            while (keep < count) { cumulative += probs[keep++] / sum; if (cumulative >= _options.TopP) break; }
            count = keep;
            sum = 0;
            for (int i = 0; i < count; i++) sum += probs[i];
        }

        if (_options.MinP > 0)
        {
            // probs[0] is the most likely token's weight: keep those within min_p of it.
            int keep = 1;
            while (keep < count && probs[keep] >= _options.MinP * probs[0]) keep++;
            count = keep;
            sum = 0;
            for (int i = 0; i < count; i++) sum += probs[i];
        }

        double u = _random.NextDouble() * sum;
        for (int i = 0; i < count; i++)
        {
            u -= probs[i];
            if (u < 0) return order[i];
        }
        return order[count - 1];
    }

    public static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
