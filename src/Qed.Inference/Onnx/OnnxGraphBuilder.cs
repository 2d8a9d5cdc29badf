using System.Runtime.InteropServices;

namespace Qed.Inference.Onnx;

/// <summary>
/// Builds one ONNX graph node by node. Large initializers (weights) stream straight into the external data
/// file, each at a 4 KiB-aligned offset so ONNX Runtime can map them; small ones (shapes, axes) stay inline.
/// Every node's output gets a fresh unique name; <see cref="SaveAsync"/> writes the model file.
/// </summary>
internal sealed class OnnxGraphBuilder : IAsyncDisposable
{
    private const int InlineLimit = 1024;
    private const int Alignment = 4096;

    private readonly List<NodeProto> _nodes = new();
    private readonly List<TensorProto> _initializers = new();
    private readonly List<ValueInfoProto> _inputs = new();
    private readonly List<ValueInfoProto> _outputs = new();
    private readonly Dictionary<string, int> _nameCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly FileStream _data;
    private readonly string _dataFileName;

    public OnnxGraphBuilder(string dataPath)
    {
        _dataFileName = Path.GetFileName(dataPath);
        _data = new FileStream(dataPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
    }

    public long ExternalBytes => _data.Length;

    public void Input(string name, OnnxDataType type, params object[] dims) => _inputs.Add(new ValueInfoProto(name, type, dims));

    public void Output(string name, OnnxDataType type, params object[] dims) => _outputs.Add(new ValueInfoProto(name, type, dims));

    private string Unique(string stem)
    {
        int n = _nameCounts.TryGetValue(stem, out var c) ? c : 0;
        _nameCounts[stem] = n + 1;
        return n == 0 ? stem : $"{stem}_{n}";
    }

    /// <summary>Adds an initializer from raw little-endian bytes; returns its name. (Writes are synchronous:
    /// export is a batch job and spans of multi-gigabyte arrays cannot cross an await.)</summary>
    public string Initializer(string name, OnnxDataType type, long[] dims, ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length <= InlineLimit)
        {
            _initializers.Add(new TensorProto { Name = name, DataType = type, Dims = dims, RawData = bytes.ToArray() });
            return name;
        }
        long pad = (Alignment - _data.Length % Alignment) % Alignment;
        if (pad > 0) _data.Write(new byte[pad]);
        long offset = _data.Length;
        _data.Write(bytes);
        _initializers.Add(new TensorProto { Name = name, DataType = type, Dims = dims, External = (_dataFileName, offset, bytes.Length) });
        return name;
    }

    public string Initializer(string name, ReadOnlySpan<float> values, long[] dims) =>
        Initializer(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(values));

    /// <summary>A small int64 constant (shapes, axes), shared between nodes that use the same values.</summary>
    public string Int64s(params long[] values)
    {
        var key = "i64:" + string.Join(",", values);
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var name = Unique("const_i64");
        _initializers.Add(new TensorProto { Name = name, DataType = OnnxDataType.Int64, Dims = [values.Length], RawData = MemoryMarshal.AsBytes(values.AsSpan()).ToArray() });
        return _constants[key] = name;
    }

    /// <summary>A scalar int64 constant (rank 0).</summary>
    public string Int64Scalar(long value)
    {
        var key = "i64s:" + value;
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var name = Unique("const_i64_scalar");
        _initializers.Add(new TensorProto { Name = name, DataType = OnnxDataType.Int64, Dims = [], RawData = BitConverter.GetBytes(value) });
        return _constants[key] = name;
    }

    /// <summary>A scalar float constant (rank 0).</summary>
    public string FloatScalar(float value)
    {
        var key = "f32s:" + BitConverter.SingleToInt32Bits(value);
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var name = Unique("const_f32");
        _initializers.Add(new TensorProto { Name = name, DataType = OnnxDataType.Float, Dims = [], RawData = BitConverter.GetBytes(value) });
        return _constants[key] = name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, string stem, IReadOnlyList<string> inputs, IReadOnlyList<AttributeProto>? attributes = null, string domain = "", string? outputName = null)
        => NodeMulti(opType, stem, inputs, 1, attributes, domain, outputName is null ? null : [outputName])[0];

    public string[] NodeMulti(string opType, string stem, IReadOnlyList<string> inputs, int outputCount, IReadOnlyList<AttributeProto>? attributes = null,
        string domain = "", string[]? outputNames = null)
    {
        var name = Unique(stem);
        var outputs = outputNames ?? Enumerable.Range(0, outputCount).Select(i => outputCount == 1 ? name + "/out" : $"{name}/out{i}").ToArray();
        _nodes.Add(new NodeProto { OpType = opType, Name = name, Inputs = inputs, Outputs = outputs, Domain = domain, Attributes = attributes ?? [] });
        return outputs;
    }

    public async Task SaveAsync(string modelPath, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        await _data.FlushAsync(ct);
        var model = new ModelProto
        {
            OpsetImports = [new OperatorSetId("", 17), new OperatorSetId("com.microsoft", 1)],
            Graph = new GraphProto { Name = "qwen3", Nodes = _nodes, Initializers = _initializers, Inputs = _inputs, Outputs = _outputs },
            Metadata = metadata,
        };
        await File.WriteAllBytesAsync(modelPath, model.ToByteArray(), ct);
    }

    public async ValueTask DisposeAsync() => await _data.DisposeAsync();
}
