using System.Text.Json;

namespace Qed.Inference.Checkpoints;

/// <summary>
/// The weights of a Hugging Face style checkpoint directory: one <c>model.safetensors</c>, or shards listed by
/// <c>model.safetensors.index.json</c> (its <c>weight_map</c> names the shard of each tensor). Every shard
/// is memory-mapped; tensors are looked up by name across shards.
/// </summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    public const string SingleFileName = "model.safetensors";
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;
    private readonly Dictionary<string, SafetensorsFile> _fileOf;

    public string Directory { get; }
    public IReadOnlyCollection<string> Names => _fileOf.Keys;
    public IReadOnlyList<SafetensorsFile> Files => _files;

    private SafetensorsCheckpoint(string directory, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> fileOf)
    {
        Directory = directory; _files = files; _fileOf = fileOf;
    }

    /// <summary>Opens a checkpoint directory (index or single file) or one <c>.safetensors</c> file.</summary>
    public static SafetensorsCheckpoint Open(string directoryOrFile)
    {
        if (File.Exists(directoryOrFile)) return FromFiles(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(directoryOrFile))!, [directoryOrFile]);
        if (!System.IO.Directory.Exists(directoryOrFile))
            throw new QedException($"{directoryOrFile}: no such checkpoint directory or safetensors file");
        var index = System.IO.Path.Combine(directoryOrFile, IndexFileName);
        if (File.Exists(index))
        {
            var shards = ReadIndex(index);
            var files = shards.Values.Distinct().Order(StringComparer.Ordinal).ToList();
            var opened = FromFiles(directoryOrFile, files.Select(f => System.IO.Path.Combine(directoryOrFile, f)).ToList());
            foreach (var (tensor, shard) in shards)
                if (!opened._fileOf.TryGetValue(tensor, out var f) || System.IO.Path.GetFileName(f.Path) != shard)
                {
                    opened.Dispose();
                    throw new QedException($"{index}: weight_map says '{tensor}' is in {shard}, but that shard does not hold it");
                }
            return opened;
        }
        var single = System.IO.Path.Combine(directoryOrFile, SingleFileName);
        if (File.Exists(single)) return FromFiles(directoryOrFile, [single]);
        var any = System.IO.Directory.GetFiles(directoryOrFile, "*.safetensors").Order(StringComparer.Ordinal).ToList();
        if (any.Count == 0) throw new QedException($"{directoryOrFile}: holds neither {IndexFileName} nor any .safetensors file");
        return FromFiles(directoryOrFile, any);
    }

    /// <summary>Reads <c>weight_map</c> of a sharded checkpoint index: tensor name → shard file name.</summary>
    public static IReadOnlyDictionary<string, string> ReadIndex(string indexPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new QedException($"{indexPath}: field 'weight_map' is missing");
        return map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()
            ?? throw new QedException($"{indexPath}: weight_map entry '{p.Name}' is not a file name"), StringComparer.Ordinal);
    }

    private static SafetensorsCheckpoint FromFiles(string directory, IReadOnlyList<string> paths)
    {
        var files = new List<SafetensorsFile>();
        var fileOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var path in paths)
            {
                var f = SafetensorsFile.Open(path);
                files.Add(f);
                foreach (var t in f.Tensors)
                    if (!fileOf.TryAdd(t.Name, f))
                        throw new QedException($"{path}: tensor '{t.Name}' also appears in {fileOf[t.Name].Path}");
            }
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
        return new SafetensorsCheckpoint(directory, files, fileOf);
    }

    public bool Contains(string name) => _fileOf.ContainsKey(name);

    public TensorInfo Info(string name) => FileOf(name).Info(name);

    public ReadOnlySpan<byte> Bytes(string name) => FileOf(name).Bytes(name);

    public float[] ReadSingles(string name) => FileOf(name).ReadSingles(name);

    private SafetensorsFile FileOf(string name) =>
        _fileOf.TryGetValue(name, out var f) ? f : throw new QedException($"{Directory}: the checkpoint has no tensor named '{name}'");

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
