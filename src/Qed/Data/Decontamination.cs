using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>A benchmark problem that training data must not contain.</summary>
public sealed record BenchmarkText(string Benchmark, string Id, string Text);

/// <summary>One item of the input that overlaps one benchmark problem.</summary>
/// <param name="Row">0-based position of the item in the input.</param>
/// <param name="Method"><c>ngram</c> when a normalised n-gram is shared, else <c>minhash</c>.</param>
/// <param name="NgramMatches">how many of the item's n-grams occur in the benchmark problem.</param>
/// <param name="Similarity">max(Jaccard, containment of the benchmark problem in the item) over word-trigram shingles.</param>
public sealed record ContaminationHit(int Row, string File, long Line, string? ItemId, string Benchmark, string BenchmarkId,
    string Method, int NgramMatches, double Similarity, string? SharedText);

public sealed record DecontaminationOptions
{
    /// <summary>Words per n-gram for the exact-overlap test (13, as in the GPT-3 and Tulu decontamination).</summary>
    public int NGram { get; init; } = 13;

    /// <summary>Similarity from which an item counts as a near-duplicate of a benchmark problem.</summary>
    public double Similarity { get; init; } = 0.5;

    /// <summary>Benchmark problems with fewer tokens than this are too generic to match by n-gram alone.</summary>
    public int MinTokens { get; init; } = 6;

    /// <summary>Tokens of three or more characters an n-gram needs to count (see <see cref="Decontaminator"/>).</summary>
    public int MinWordTokens { get; init; } = 4;

    public int SignatureSize { get; init; } = 128;

    /// <summary>Words per shingle for MinHash.</summary>
    public int Shingle { get; init; } = 3;
}

/// <summary>
/// Finds training items that overlap benchmark problems, two ways: a normalised word n-gram in common
/// (verbatim or reformatted copies), and MinHash/LSH near-duplicates confirmed on exact shingle sets
/// (light paraphrases, copies with extra text around them).
/// </summary>
public sealed class Decontaminator
{
    private readonly DecontaminationOptions _options;
    private readonly IReadOnlyList<BenchmarkText> _benchmarks;
    private readonly Dictionary<ulong, List<int>> _ngrams = new();
    private readonly SortedSet<int> _shortWidths = new();
    private readonly HashSet<ulong>[] _shingles;
    private readonly MinHash _minHash;
    private readonly LshIndex _lsh;

    public Decontaminator(IReadOnlyList<BenchmarkText> benchmarks, DecontaminationOptions? options = null)
    {
        _options = options ?? new DecontaminationOptions();
        if (_options.NGram < 1) throw new QedException($"--ngram must be at least 1, got {_options.NGram}");
        if (_options.Similarity is <= 0 or > 1) throw new QedException($"similarity threshold must be in (0, 1], got {_options.Similarity}");
        _benchmarks = benchmarks;
        _minHash = new MinHash(_options.SignatureSize);
        _lsh = new LshIndex(_options.SignatureSize, _options.Similarity);
        _shingles = new HashSet<ulong>[benchmarks.Count];
        for (var i = 0; i < benchmarks.Count; i++)
        {
            var words = TextNormalizer.Tokens(benchmarks[i].Text);
            var tokens = words.Select(TextNormalizer.Hash).ToArray();
            var shingles = TextNormalizer.NGramHashes(tokens, _options.Shingle);
            _shingles[i] = [.. shingles];
            if (shingles.Length > 0) _lsh.Add(i, _minHash.Signature(shingles));
            if (tokens.Length < _options.MinTokens) continue;
            if (tokens.Length < _options.NGram) _shortWidths.Add(tokens.Length);
            var width = Math.Min(_options.NGram, tokens.Length);
            var grams = TextNormalizer.NGramHashes(tokens, _options.NGram);
            for (var start = 0; start < grams.Length; start++)
            {
                if (!Informative(words, start, width)) continue;
                if (!_ngrams.TryGetValue(grams[start], out var list)) _ngrams[grams[start]] = list = new List<int>(1);
                if (list.Count == 0 || list[^1] != i) list.Add(i);
            }
        }
    }

    public int BenchmarkCount => _benchmarks.Count;

    /// <summary>
    /// Whether an n-gram says enough to count as overlap: inside formulas, runs of one-letter variables and
    /// small numbers (<c>f x f y f x y</c>) recur across unrelated functional equations and inequalities, so
    /// an n-gram must hold at least <see cref="DecontaminationOptions.MinWordTokens"/> tokens of three or
    /// more characters (a word or a named symbol).
    /// </summary>
    private bool Informative(List<string> words, int start, int width)
    {
        if (_options.MinWordTokens <= 0) return true;
        var count = 0;
        for (var k = start; k < start + width; k++)
            if (words[k].Length >= 3 && ++count >= _options.MinWordTokens) return true;
        return false;
    }

    /// <summary>Every benchmark problem that <paramref name="text"/> overlaps.</summary>
    public IReadOnlyList<(BenchmarkText Benchmark, string Method, int NgramMatches, double Similarity, string? SharedText)> Check(string text)
    {
        var tokens = TextNormalizer.Tokens(text);
        var hashes = tokens.Select(TextNormalizer.Hash).ToArray();
        var ngramHits = new Dictionary<int, (int Count, int Start, int Width)>();
        void Scan(int width)
        {
            if (hashes.Length < width) return;
            var grams = TextNormalizer.NGramHashes(hashes, width);
            for (var s = 0; s < grams.Length; s++)
                if (_ngrams.TryGetValue(grams[s], out var items))
                    foreach (var item in items)
                        ngramHits[item] = ngramHits.TryGetValue(item, out var prev) ? (prev.Count + 1, prev.Start, prev.Width) : (1, s, width);
        }
        Scan(_options.NGram);
        foreach (var w in _shortWidths) Scan(w);

        var shingles = TextNormalizer.NGramHashes(hashes, _options.Shingle);
        var near = new Dictionary<int, double>();
        if (shingles.Length > 0)
        {
            var set = new HashSet<ulong>(shingles);
            foreach (var item in _lsh.Candidates(_minHash.Signature(shingles)))
            {
                var sim = Similarity(set, _shingles[item]);
                if (sim >= _options.Similarity) near[item] = sim;
            }
        }

        var result = new List<(BenchmarkText, string, int, double, string?)>();
        foreach (var item in ngramHits.Keys.Union(near.Keys).Order())
        {
            var hasNgram = ngramHits.TryGetValue(item, out var ng);
            var sim = near.TryGetValue(item, out var s) ? s : Similarity(new HashSet<ulong>(shingles), _shingles[item]);
            var shared = hasNgram ? string.Join(' ', tokens.Skip(ng.Start).Take(ng.Width)) : null;
            result.Add((_benchmarks[item], hasNgram ? "ngram" : "minhash", hasNgram ? ng.Count : 0, Math.Round(sim, 4), shared));
        }
        return result;
    }

    private static double Similarity(HashSet<ulong> item, HashSet<ulong> benchmark)
    {
        if (item.Count == 0 || benchmark.Count == 0) return 0;
        var inter = benchmark.Count(item.Contains);
        var jaccard = (double)inter / (item.Count + benchmark.Count - inter);
        var containment = (double)inter / benchmark.Count;
        return Math.Max(jaccard, containment);
    }
}
