namespace Qed.Data;

public sealed record DedupOptions
{
    /// <summary>Estimated Jaccard similarity from which two items are near-duplicates.</summary>
    public double Threshold { get; init; } = 0.8;
    public int SignatureSize { get; init; } = 128;
    /// <summary>Words per shingle.</summary>
    public int Shingle { get; init; } = 3;
}

/// <summary>
/// Streaming near-duplicate removal by MinHash/LSH: items are seen in order, and an item is a duplicate
/// when an item kept earlier has an estimated Jaccard similarity (over word shingles) at or above the
/// threshold. The first of every group of near-duplicates is kept. Memory: one signature per kept item.
/// </summary>
public sealed class Deduplicator
{
    private readonly DedupOptions _options;
    private readonly MinHash _minHash;
    private readonly LshIndex _lsh;
    private readonly List<uint[]> _kept = new();
    private readonly HashSet<ulong> _exact = new();

    public Deduplicator(DedupOptions? options = null)
    {
        _options = options ?? new DedupOptions();
        if (_options.Threshold is <= 0 or > 1) throw new QedException($"--threshold must be in (0, 1], got {_options.Threshold}");
        _minHash = new MinHash(_options.SignatureSize);
        _lsh = new LshIndex(_options.SignatureSize, _options.Threshold);
    }

    public int KeptCount => _kept.Count;

    /// <summary>Offers the next item; returns null when it is kept, else the 0-based keep-order index of
    /// the earlier item it duplicates.</summary>
    public (bool Kept, int? DuplicateOf, double Similarity) Offer(string text)
    {
        var tokens = TextNormalizer.TokenHashes(text);
        var shingles = TextNormalizer.NGramHashes(tokens, _options.Shingle);
        // Exact duplicates (including empty texts) are caught by a hash of the whole token sequence.
        var whole = TextNormalizer.NGramHashes(tokens, Math.Max(tokens.Length, 1)) is [var w] ? w : 0UL;
        var signature = _minHash.Signature(shingles);
        if (!_exact.Add(whole))
        {
            foreach (var c in _lsh.Candidates(signature))
                if (MinHash.Similarity(signature, _kept[c]) >= 0.999) return (false, c, 1.0);
            return (false, null, 1.0);
        }
        int? best = null;
        var bestSim = 0.0;
        foreach (var c in _lsh.Candidates(signature))
        {
            var sim = MinHash.Similarity(signature, _kept[c]);
            if (sim >= _options.Threshold && sim > bestSim) { best = c; bestSim = sim; }
        }
        if (best is not null) return (false, best, bestSim);
        _lsh.Add(_kept.Count, signature);
        _kept.Add(signature);
        return (true, null, 0);
    }
}
