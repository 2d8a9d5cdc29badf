using System.Buffers.Binary;
using System.Text;

namespace Qed.Inference.Gguf;

/// <summary>ggml tensor types this writer stores directly (quantized types come from llama.cpp's quantizer).</summary>
public enum GgmlType : uint { F32 = 0, F16 = 1, BF16 = 30 }

/// <summary>Value types of GGUF metadata, as numbered by the format.</summary>
internal enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7, String = 8, Array = 9,
    UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>One tensor to write: its GGUF name, shape as PyTorch writes it ([rows, cols]; GGUF stores it reversed),
/// type, and a callback that writes exactly its bytes to the stream (so tensors stream from the checkpoint in chunks).</summary>
public sealed record GgufTensor(string Name, long[] Shape, GgmlType Type, Action<Stream> Write)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => ElementCount * (Type == GgmlType.F32 ? 4 : 2);
}

/// <summary>
/// A GGUF version 3 file: header, metadata key/values, tensor infos, then tensor data, each at a multiple of
/// <see cref="Alignment"/> bytes from the data section's start. Metadata is added in order; llama.cpp reads it by key.
/// </summary>
public sealed class GgufWriter
{
    public const uint Magic = 0x46554747; // "GGUF" little-endian
    public const int Alignment = 32;

    private readonly List<(string Key, GgufValueType Type, object Value)> _metadata = new();
    private readonly List<GgufTensor> _tensors = new();

    public GgufWriter Add(string key, string value) => Put(key, GgufValueType.String, value);
    public GgufWriter Add(string key, uint value) => Put(key, GgufValueType.UInt32, value);
    public GgufWriter Add(string key, int value) => Put(key, GgufValueType.Int32, value);
    public GgufWriter Add(string key, float value) => Put(key, GgufValueType.Float32, value);
    public GgufWriter Add(string key, bool value) => Put(key, GgufValueType.Bool, value);
    public GgufWriter Add(string key, IReadOnlyList<string> values) => Put(key, GgufValueType.Array, values);
    public GgufWriter Add(string key, IReadOnlyList<int> values) => Put(key, GgufValueType.Array, values);

    public GgufWriter AddTensor(GgufTensor tensor)
    {
        if (_tensors.Any(t => t.Name == tensor.Name)) throw new ArgumentException($"tensor '{tensor.Name}' added twice");
        _tensors.Add(tensor);
        return this;
    }

    private GgufWriter Put(string key, GgufValueType type, object value)
    {
        if (_metadata.Any(m => m.Key == key)) throw new ArgumentException($"metadata key '{key}' added twice");
        _metadata.Add((key, type, value));
        return this;
    }

    /// <summary>Writes the file (to a temporary name first, so a killed export never leaves a truncated model behind).</summary>
    public async Task WriteAsync(string path, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var tmp = path + ".partial";
        await using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            var header = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true);
            header.Write(Magic);
            header.Write(3u);
            header.Write((ulong)_tensors.Count);
            header.Write((ulong)_metadata.Count);
            foreach (var (key, type, value) in _metadata)
            {
                WriteString(header, key);
                header.Write((uint)type);
                WriteValue(header, type, value);
            }
            long offset = 0;
            var offsets = new long[_tensors.Count];
            for (int i = 0; i < _tensors.Count; i++)
            {
                var t = _tensors[i];
                WriteString(header, t.Name);
                header.Write((uint)t.Shape.Length);
                for (int d = t.Shape.Length - 1; d >= 0; d--) header.Write((ulong)t.Shape[d]); // ggml: innermost dimension first
                header.Write((uint)t.Type);
                header.Write((ulong)offset);
                offsets[i] = offset;
                offset = Align(offset + t.ByteLength);
            }
            header.Flush();
            Pad(file);
            for (int i = 0; i < _tensors.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var t = _tensors[i];
                long start = file.Position;
                t.Write(file);
                if (file.Position - start != t.ByteLength)
                    throw new InvalidOperationException($"tensor '{t.Name}' wrote {file.Position - start} bytes, expected {t.ByteLength}");
                Pad(file);
                progress?.Report((i + 1, _tensors.Count));
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(Stream s)
    {
        long pad = Align(s.Position) - s.Position;
        for (long i = 0; i < pad; i++) s.WriteByte(0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValueType type, object value)
    {
        switch (value)
        {
            case string s: WriteString(w, s); break;
            case uint u: w.Write(u); break;
            case int i: w.Write(i); break;
            case float f: w.Write(f); break;
            case bool b: w.Write((byte)(b ? 1 : 0)); break;
            case IReadOnlyList<string> strings:
                w.Write((uint)GgufValueType.String);
                w.Write((ulong)strings.Count);
                foreach (var s in strings) WriteString(w, s);
                break;
            case IReadOnlyList<int> ints:
                w.Write((uint)GgufValueType.Int32);
                w.Write((ulong)ints.Count);
                foreach (var i in ints) w.Write(i);
                break;
            default: throw new ArgumentException($"unsupported GGUF value {value.GetType()} for type {type}");
        }
    }
}
