using System.Text;

namespace Qed.Bench.Inference;

/// <summary>Reads the tensor table of a GGUF file: enough to count the bytes a decode step reads (every tensor but
/// the token embedding, of which it reads one row).</summary>
internal static class GgufFile
{
    public static long DecodeWeightBytes(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (r.ReadUInt32() != 0x46554747) throw new InvalidDataException($"{path}: not GGUF");
        r.ReadUInt32();
        ulong tensors = r.ReadUInt64(), kvs = r.ReadUInt64();
        uint alignment = 32;
        for (ulong i = 0; i < kvs; i++)
        {
            var key = ReadString(r);
            var type = r.ReadUInt32();
            var value = ReadValue(r, type);
            if (key == "general.alignment") alignment = Convert.ToUInt32(value);
        }
        var offsets = new List<(string Name, ulong Offset)>();
        for (ulong i = 0; i < tensors; i++)
        {
            var name = ReadString(r);
            uint dims = r.ReadUInt32();
            for (uint d = 0; d < dims; d++) r.ReadUInt64();
            r.ReadUInt32();
            offsets.Add((name, r.ReadUInt64()));
        }
        long dataStart = (r.BaseStream.Position + alignment - 1) / alignment * alignment;
        long total = r.BaseStream.Length - dataStart;
        var sorted = offsets.OrderBy(o => o.Offset).ToList();
        int e = sorted.FindIndex(o => o.Name == "token_embd.weight");
        long embedding = (long)((e + 1 < sorted.Count ? sorted[e + 1].Offset : (ulong)total) - sorted[e].Offset);
        bool tied = !offsets.Any(o => o.Name == "output.weight");
        return tied ? total : total - embedding;
    }

    private static string ReadString(BinaryReader r) => Encoding.UTF8.GetString(r.ReadBytes((int)r.ReadUInt64()));

    private static object ReadValue(BinaryReader r, uint type) => type switch
    {
        0 => r.ReadByte(), 1 => r.ReadSByte(), 2 => r.ReadUInt16(), 3 => r.ReadInt16(), 4 => r.ReadUInt32(), 5 => r.ReadInt32(),
        6 => r.ReadSingle(), 7 => r.ReadByte(), 8 => ReadString(r), 10 => r.ReadUInt64(), 11 => r.ReadInt64(), 12 => r.ReadDouble(),
        9 => ReadArray(r),
        _ => throw new InvalidDataException($"GGUF value type {type}"),
    };

    private static object ReadArray(BinaryReader r)
    {
        uint type = r.ReadUInt32();
        ulong n = r.ReadUInt64();
        for (ulong i = 0; i < n; i++) ReadValue(r, type);
        return n;
    }
}
