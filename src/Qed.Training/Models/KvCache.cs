using static TorchSharp.torch;

namespace Qed.Training.Models;

/// <summary>
/// Keys and values of every layer seen so far, for incremental decoding. Tensors: [B, Hkv, T_past, d] per layer.
/// The cache owns its tensors (they live outside any dispose scope) and frees them on <see cref="Dispose"/>.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Number of positions already cached (after a whole forward pass).</summary>
    public long Length => LengthOf(_keys.Length - 1);

    /// <summary>Positions cached for one layer (layers fill in order during a forward pass).</summary>
    public long LengthOf(int layer) => _keys[layer]?.shape[2] ?? 0;

    /// <summary>Appends this step's keys/values for one layer and returns the full keys/values to attend over.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var k = _keys[layer] is { } pk ? cat([pk, keys], 2) : keys.alias();
        var v = _values[layer] is { } pv ? cat([pv, values], 2) : values.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = k.detach().DetachFromDisposeScope();
        _values[layer] = v.detach().DetachFromDisposeScope();
        return (_keys[layer]!, _values[layer]!);
    }

    /// <summary>Keeps only the given batch rows (e.g. after some sequences finished).</summary>
    public void Select(Tensor rowIndices)
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] is null) continue;
            var k = _keys[i]!.index_select(0, rowIndices).DetachFromDisposeScope();
            var v = _values[i]!.index_select(0, rowIndices).DetachFromDisposeScope();
            _keys[i]!.Dispose(); _values[i]!.Dispose();
            _keys[i] = k; _values[i] = v;
        }
    }

    public void Dispose()
    {
        for (int i = 0; i < _keys.Length; i++)
        {
            _keys[i]?.Dispose(); _values[i]?.Dispose();
            _keys[i] = null; _values[i] = null;
        }
    }
}
