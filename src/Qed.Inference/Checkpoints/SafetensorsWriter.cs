using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Qed.Inference.Checkpoints;

/// <summary>
/// Collects named tensors and writes them as one safetensors file or as shards with a
/// <c>model.safetensors.index.json</c>, the layout Hugging Face tools read. Tensors are written in name order;
/// the header is padded with spaces so the data section starts 8-byte aligned.
/// </summary>
public sealed class SafetensorsWriter
{
    private readonly SortedDictionary<string, (TensorDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata;

    public SafetensorsWriter(IReadOnlyDictionary<string, string>? metadata = null)
    {
        _metadata = metadata is null ? new() { ["format"] = "pt" } : new(metadata);
    }

    public long TotalBytes => _tensors.Values.Sum(t => (long)t.Data.Length);

    /// <summary>Adds a tensor from raw little-endian bytes.</summary>
    public SafetensorsWriter Add(string name, TensorDType dtype, IReadOnlyList<long> shape, ReadOnlyMemory<byte> data)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count * dtype.SizeOf() != data.Length)
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes do not match shape [{string.Join(", ", shape)}] of {dtype.HeaderName()}");
        if (!_tensors.TryAdd(name, (dtype, shape.ToArray(), data)))
            throw new ArgumentException($"tensor '{name}' was added twice");
        return this;
    }

    /// <summary>Adds a tensor from float32 values, stored as <paramref name="dtype"/> (F32, BF16, F16 or F64).</summary>
    public SafetensorsWriter Add(string name, ReadOnlySpan<float> values, IReadOnlyList<long> shape, TensorDType dtype = TensorDType.F32) =>
        Add(name, dtype, shape, TensorDTypes.FromSingles(values, dtype));

    /// <summary>Writes every tensor to one file.</summary>
    public async Task WriteAsync(string path, CancellationToken cancellationToken)
    {
        await WriteFileAsync(path, _tensors.Keys.ToList(), _metadata, cancellationToken);
    }

    /// <summary>
    /// Writes <c>model.safetensors</c> when everything fits in one shard, otherwise
    /// <c>model-0000K-of-0000N.safetensors</c> shards of at most <paramref name="maxShardBytes"/> (a tensor larger
    /// than that gets a shard of its own) plus <c>model.safetensors.index.json</c>. Returns the files written.
    /// </summary>
    public async Task<IReadOnlyList<string>> WriteCheckpointAsync(string directory, long maxShardBytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var shards = new List<List<string>> { new() };
        long current = 0;
        foreach (var (name, t) in _tensors)
        {
            if (current > 0 && current + t.Data.Length > maxShardBytes) { shards.Add(new()); current = 0; }
            shards[^1].Add(name);
            current += t.Data.Length;
        }
        if (shards.Count == 1)
        {
            var single = Path.Combine(directory, SafetensorsCheckpoint.SingleFileName);
            await WriteFileAsync(single, shards[0], _metadata, cancellationToken);
            return [single];
        }
        var written = new List<string>();
        var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < shards.Count; i++)
        {
            var fileName = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            var path = Path.Combine(directory, fileName);
            await WriteFileAsync(path, shards[i], _metadata, cancellationToken);
            foreach (var name in shards[i]) weightMap[name] = fileName;
            written.Add(path);
        }
        var index = new { metadata = new { total_size = TotalBytes }, weight_map = weightMap };
        var indexPath = Path.Combine(directory, SafetensorsCheckpoint.IndexFileName);
        await File.WriteAllTextAsync(indexPath, JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
        written.Add(indexPath);
        return written;
    }

    private async Task WriteFileAsync(string path, IReadOnlyList<string> names, IReadOnlyDictionary<string, string> metadata, CancellationToken ct)
    {
        var header = new MemoryStream();
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var name in names)
            {
                var t = _tensors[name];
                json.WriteStartObject(name);
                json.WriteString("dtype", t.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        int pad = (int)((8 - (header.Length % 8)) % 8);
        for (int i = 0; i < pad; i++) header.WriteByte((byte)' ');

        var tmp = path + ".partial";
        await using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
        {
            var len = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            await file.WriteAsync(len, ct);
            await file.WriteAsync(header.GetBuffer().AsMemory(0, (int)header.Length), ct);
            foreach (var name in names) await file.WriteAsync(_tensors[name].Data, ct);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
