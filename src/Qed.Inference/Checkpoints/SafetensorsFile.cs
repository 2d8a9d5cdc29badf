using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace Qed.Inference.Checkpoints;

/// <summary>Where one tensor lives in a safetensors file: dtype, shape and its byte range in the data section.</summary>
public sealed record TensorInfo(string Name, TensorDType DType, IReadOnlyList<long> Shape, long DataOffset, long ByteLength)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// One <c>.safetensors</c> file, memory-mapped read-only: tensors are spans over the mapping, so opening a
/// multi-gigabyte checkpoint costs no copy. Layout: u64 little-endian header length, a JSON header
/// (<c>__metadata__</c> plus one entry per tensor with dtype, shape and data_offsets), then the data section.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private readonly long _dataLength;
    private readonly Dictionary<string, TensorInfo> _byName;
    private bool _disposed;

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>The tensors in data-section order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* data, long dataLength,
        IReadOnlyDictionary<string, string> metadata, List<TensorInfo> tensors)
    {
        Path = path; _map = map; _view = view; _data = data; _dataLength = dataLength;
        Metadata = metadata; Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: safetensors file not found");
        // Hub cache snapshots link to blobs: FileInfo.Length of a link is the link's own length, so measure its target.
        var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
        long fileLength = new FileInfo(target).Length;
        if (fileLength < 8) throw new QedException($"{path}: too short to be a safetensors file ({fileLength} bytes)");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* basePtr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            basePtr += view.PointerOffset;
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePtr, 8));
            if (headerLength > (ulong)(fileLength - 8) || headerLength > int.MaxValue)
                throw new QedException($"{path}: header length {headerLength} exceeds the file size {fileLength}");
            var header = new ReadOnlySpan<byte>(basePtr + 8, (int)headerLength);
            long dataStart = 8 + (long)headerLength;
            var (metadata, tensors) = ParseHeader(path, header, fileLength - dataStart);
            return new SafetensorsFile(path, map, view, basePtr + dataStart, fileLength - dataStart, metadata, tensors);
        }
        catch
        {
            if (view is not null) { view.SafeMemoryMappedViewHandle.ReleasePointer(); view.Dispose(); }
            map.Dispose();
            throw;
        }
    }

    private static (Dictionary<string, string>, List<TensorInfo>) ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e) { throw new QedException($"{path}: the header is not valid JSON ({e.Message})", e); }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new QedException($"{path}: the header is not a JSON object");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var tensors = new List<TensorInfo>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
                continue;
            }
            string where = $"{path}: tensor '{prop.Name}'";
            if (!prop.Value.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String || !TensorDTypes.TryParse(dt.GetString()!, out var dtype))
                throw new QedException($"{where}: field 'dtype' is missing or not a supported dtype");
            if (!prop.Value.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
                throw new QedException($"{where}: field 'shape' is missing");
            var shape = sh.EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (!prop.Value.TryGetProperty("data_offsets", out var off) || off.GetArrayLength() != 2)
                throw new QedException($"{where}: field 'data_offsets' is missing or not [begin, end]");
            long begin = off[0].GetInt64(), end = off[1].GetInt64();
            var info = new TensorInfo(prop.Name, dtype, shape, begin, end - begin);
            if (begin < 0 || end < begin || end > dataLength)
                throw new QedException($"{where}: data_offsets [{begin}, {end}] fall outside the data section ({dataLength} bytes)");
            if (info.ElementCount * dtype.SizeOf() != info.ByteLength)
                throw new QedException($"{where}: {info.ByteLength} bytes do not match shape [{string.Join(", ", shape)}] of {dtype.HeaderName()}");
            tensors.Add(info);
        }
        tensors.Sort((a, b) => a.DataOffset.CompareTo(b.DataOffset));
        return (metadata, tensors);
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public TensorInfo Info(string name) =>
        _byName.TryGetValue(name, out var info) ? info : throw new QedException($"{Path}: no tensor named '{name}'");

    /// <summary>The tensor's raw little-endian bytes, straight from the mapping (valid until this file is disposed).</summary>
    public ReadOnlySpan<byte> Bytes(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = Info(name);
        if (info.ByteLength > int.MaxValue) throw new QedException($"{Path}: tensor '{name}' is larger than 2 GiB; read it in parts");
        return new ReadOnlySpan<byte>(_data + info.DataOffset, (int)info.ByteLength);
    }

    /// <summary>The tensor converted to float32 (from F32, BF16, F16 or F64).</summary>
    public float[] ReadSingles(string name)
    {
        var info = Info(name);
        var result = new float[info.ElementCount];
        TensorDTypes.ToSingles(Bytes(name), info.DType, result);
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_view is not null) { _view.SafeMemoryMappedViewHandle.ReleasePointer(); _view.Dispose(); }
        _map?.Dispose();
    }
}
