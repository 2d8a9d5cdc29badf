namespace Qed.Data;

/// <summary>
/// MinHash signatures of shingle sets: the fraction of equal positions in two signatures estimates the
/// Jaccard similarity of the sets. Shingle hashes are already well mixed, so each of the <see cref="Size"/>
/// hash functions is multiply-add-shift with fixed random constants (one multiply per function and
/// shingle, the inner loop of both stages); signatures are the same on every run.
/// </summary>
public sealed class MinHash
{
    private readonly ulong[] _multipliers;
    private readonly ulong[] _seeds;

    public int Size => _seeds.Length;

    public MinHash(int size = 128, ulong seed = 0x5EED_0F_0EDUL)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size));
        _seeds = new ulong[size];
        _multipliers = new ulong[size];
        var s = seed;
        for (var i = 0; i < size; i++)
        {
            _seeds[i] = s = TextNormalizer.Mix(s + 0x9E3779B97F4A7C15UL);
            _multipliers[i] = (s = TextNormalizer.Mix(s + 0x9E3779B97F4A7C15UL)) | 1;
        }
    }

    public uint[] Signature(ReadOnlySpan<ulong> shingles)
    {
        var sig = new uint[_seeds.Length];
        Array.Fill(sig, uint.MaxValue);
        var mul = _multipliers;
        var add = _seeds;
        foreach (var sh in shingles)
        {
            for (var i = 0; i < sig.Length; i++)
            {
                var v = (uint)((sh * mul[i] + add[i]) >> 32);
                if (v < sig[i]) sig[i] = v;
            }
        }
        return sig;
    }

    public static double Similarity(uint[] a, uint[] b)
    {
        var equal = 0;
        for (var i = 0; i < a.Length; i++) if (a[i] == b[i]) equal++;
        return (double)equal / a.Length;
    }

    /// <summary>Exact Jaccard similarity of two shingle sets.</summary>
    public static double Jaccard(IReadOnlySet<ulong> a, IReadOnlySet<ulong> b)
    {
        if (a.Count == 0 && b.Count == 0) return 1;
        var small = a.Count <= b.Count ? a : b;
        var large = ReferenceEquals(small, a) ? b : a;
        var inter = small.Count(large.Contains);
        return (double)inter / (a.Count + b.Count - inter);
    }
}

/// <summary>
/// Locality-sensitive hashing over MinHash signatures: the signature is cut into bands, and two items whose
/// signatures agree on a whole band become candidates. The band shape is chosen so that pairs at the
/// similarity threshold are found with high probability; callers confirm candidates themselves.
/// </summary>
public sealed class LshIndex
{
    private readonly int _bands;
    private readonly int _rows;
    private readonly Dictionary<ulong, List<int>>[] _buckets;

    public LshIndex(int signatureSize, double threshold)
    {
        (_bands, _rows) = BandsFor(signatureSize, threshold);
        _buckets = new Dictionary<ulong, List<int>>[_bands];
        for (var i = 0; i < _bands; i++) _buckets[i] = new Dictionary<ulong, List<int>>();
    }

    public int Bands => _bands;
    public int Rows => _rows;

    /// <summary>The (bands, rows) split with the most rows per band (fewest chance candidates) that still
    /// makes a pair exactly at the threshold share a band with probability at least 97%; callers confirm
    /// candidates themselves. Signature positions beyond bands × rows are left unused.</summary>
    public static (int Bands, int Rows) BandsFor(int signatureSize, double threshold)
    {
        var best = (signatureSize, 1);
        for (var r = 1; r <= signatureSize; r++)
        {
            var b = signatureSize / r;
            var hit = 1 - Math.Pow(1 - Math.Pow(threshold, r), b);
            if (hit >= 0.97) best = (b, r);
        }
        return best;
    }

    public void Add(int id, uint[] signature)
    {
        for (var band = 0; band < _bands; band++)
        {
            var key = BandKey(signature, band);
            if (!_buckets[band].TryGetValue(key, out var list)) _buckets[band][key] = list = new List<int>(1);
            list.Add(id);
        }
    }

    public HashSet<int> Candidates(uint[] signature)
    {
        var result = new HashSet<int>();
        for (var band = 0; band < _bands; band++)
            if (_buckets[band].TryGetValue(BandKey(signature, band), out var list))
                result.UnionWith(list);
        return result;
    }

    private ulong BandKey(uint[] signature, int band)
    {
        var h = (ulong)band * 0x9E3779B97F4A7C15UL;
        for (var i = band * _rows; i < (band + 1) * _rows; i++) h = TextNormalizer.Mix(h ^ signature[i]);
        return h;
    }
}
