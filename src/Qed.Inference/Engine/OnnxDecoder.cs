using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Qed.Inference.Engine;

/// <summary>
/// An ONNX Runtime session over a decoder in the community layout (input_ids, attention_mask, position_ids,
/// past_key_values.N.key/value → logits, present.N.key/value). The session is shared and thread-safe; each
/// sequence keeps its own <see cref="DecoderCache"/>, so concurrent requests never see each other's state.
/// </summary>
public sealed class OnnxDecoder : IDisposable
{
    /// <summary>Prompt tokens run per call: bounds the logits buffer (chunk × vocab floats) on long prompts.</summary>
    public const int PrefillChunk = 256;

    private readonly InferenceSession _session;

    public string ModelPath { get; }
    public int LayerCount { get; }
    public int KeyValueHeads { get; }
    public int HeadDim { get; }
    public int VocabSize { get; }

    public OnnxDecoder(string modelPath, int? intraOpThreads = null)
    {
        if (!File.Exists(modelPath)) throw new QedException($"{modelPath}: ONNX model not found");
        ModelPath = modelPath;
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads is int n) options.IntraOpNumThreads = n;
        try { _session = new InferenceSession(modelPath, options); }
        catch (OnnxRuntimeException e) { throw new QedException($"{modelPath}: ONNX Runtime cannot load the model ({e.Message})", e); }

        var inputs = _session.InputMetadata;
        foreach (var required in new[] { "input_ids", "attention_mask" })
            if (!inputs.ContainsKey(required))
                throw new QedException($"{modelPath}: input '{required}' is missing; expected the decoder layout input_ids, attention_mask, position_ids, past_key_values.N.key/value");
        while (inputs.ContainsKey($"past_key_values.{LayerCount}.key")) LayerCount++;
        if (LayerCount == 0) throw new QedException($"{modelPath}: no past_key_values.0.key input; the model must be exported with a KV cache");
        var kvDims = inputs["past_key_values.0.key"].Dimensions;
        KeyValueHeads = kvDims[1];
        HeadDim = kvDims[3];
        VocabSize = _session.OutputMetadata["logits"].Dimensions[^1];
        HasPositionIds = inputs.ContainsKey("position_ids");
    }

    private bool HasPositionIds { get; }

    public DecoderCache NewCache() => new(this);

    /// <summary>A cache that already holds <paramref name="length"/> positions of zeros: benchmarks measure decode at a long
    /// context without paying for the prefill (the cost of a step depends on the cache's length, not its values).</summary>
    public DecoderCache NewCache(int length)
    {
        var cache = new DecoderCache(this);
        if (length == 0) return cache;
        long[] shape = [1, KeyValueHeads, length, HeadDim];
        var presents = new OrtValue[2 * LayerCount];
        for (int i = 0; i < presents.Length; i++)
            presents[i] = OrtValue.CreateTensorValueFromMemory(new float[KeyValueHeads * (long)length * HeadDim], shape);
        cache.Replace(presents, length);
        return cache;
    }

    /// <summary>Feeds <paramref name="tokens"/> after what the cache holds and returns the logits of the last one.</summary>
    public float[] Forward(DecoderCache cache, ReadOnlySpan<int> tokens, CancellationToken cancellationToken)
    {
        if (tokens.Length == 0) throw new ArgumentException("no tokens to run", nameof(tokens));
        float[]? last = null;
        for (int start = 0; start < tokens.Length; start += PrefillChunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = Step(cache, tokens.Slice(start, Math.Min(PrefillChunk, tokens.Length - start)), cancellationToken);
        }
        return last!;
    }

    private float[] Step(DecoderCache cache, ReadOnlySpan<int> tokens, CancellationToken cancellationToken)
    {
        int n = tokens.Length, past = cache.Length, total = past + n;
        var ids = new long[n];
        var positions = new long[n];
        for (int i = 0; i < n; i++) { ids[i] = tokens[i]; positions[i] = past + i; }
        var mask = new long[total];
        Array.Fill(mask, 1L);

        var names = new List<string>(3 + 2 * LayerCount) { "input_ids", "attention_mask" };
        var values = new List<OrtValue>(names.Capacity)
        {
            OrtValue.CreateTensorValueFromMemory(ids, [1, n]),
            OrtValue.CreateTensorValueFromMemory(mask, [1, total]),
        };
        if (HasPositionIds) { names.Add("position_ids"); values.Add(OrtValue.CreateTensorValueFromMemory(positions, [1, n])); }
        for (int l = 0; l < LayerCount; l++)
        {
            names.Add($"past_key_values.{l}.key"); values.Add(cache.Keys[l]);
            names.Add($"past_key_values.{l}.value"); values.Add(cache.Values[l]);
        }
        var outputNames = new List<string>(1 + 2 * LayerCount) { "logits" };
        for (int l = 0; l < LayerCount; l++) { outputNames.Add($"present.{l}.key"); outputNames.Add($"present.{l}.value"); }

        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        IDisposableReadOnlyCollection<OrtValue> outputs;
        try
        {
            outputs = _session.Run(runOptions, names, values, outputNames);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            // Inputs we created (ids, mask, positions) are ours to free; the past tensors belong to the cache.
            for (int i = 0; i < values.Count - 2 * LayerCount; i++) values[i].Dispose();
        }

        var logits = outputs[0];
        var all = logits.GetTensorDataAsSpan<float>();
        var lastRow = all.Slice(all.Length - VocabSize, VocabSize).ToArray();
        logits.Dispose();
        var presents = new OrtValue[2 * LayerCount];
        for (int i = 0; i < presents.Length; i++) presents[i] = outputs[1 + i];
        cache.Replace(presents, total);
        return lastRow;
    }

    public void Dispose() => _session.Dispose();
}

/// <summary>The key/value tensors of one sequence ([1, kv_heads, length, head_dim] per layer), fed back as the
/// next step's past so earlier tokens are never recomputed.</summary>
public sealed class DecoderCache : IDisposable
{
    private OrtValue[] _keys, _values;

    internal DecoderCache(OnnxDecoder decoder)
    {
        long[] empty = [1, decoder.KeyValueHeads, 0, decoder.HeadDim];
        _keys = Enumerable.Range(0, decoder.LayerCount).Select(_ => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, empty)).ToArray();
        _values = Enumerable.Range(0, decoder.LayerCount).Select(_ => OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, empty)).ToArray();
    }

    /// <summary>Tokens the cache holds.</summary>
    public int Length { get; private set; }

    internal IReadOnlyList<OrtValue> Keys => _keys;
    internal IReadOnlyList<OrtValue> Values => _values;

    internal void Replace(OrtValue[] presents, int length)
    {
        DisposeTensors();
        int layers = presents.Length / 2;
        _keys = new OrtValue[layers];
        _values = new OrtValue[layers];
        for (int l = 0; l < layers; l++) { _keys[l] = presents[2 * l]; _values[l] = presents[2 * l + 1]; }
        Length = length;
    }

    private void DisposeTensors()
    {
        foreach (var v in _keys) v.Dispose();
        foreach (var v in _values) v.Dispose();
    }

    public void Dispose() => DisposeTensors();
}
