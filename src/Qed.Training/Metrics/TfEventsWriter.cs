using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using Google.Protobuf;

namespace Qed.Training.Metrics;

/// <summary>
/// Writes TensorBoard event files (<c>events.out.tfevents.TIME.HOST</c>) without TensorFlow: each record is
/// [uint64 length][uint32 masked CRC32C of length][data][uint32 masked CRC32C of data], and each data blob is a
/// hand-encoded <c>tensorflow.Event</c> protobuf (wall_time = 1, step = 2, file_version = 3, summary = 5;
/// Summary.value = 1; Value.tag = 1, Value.simple_value = 2).
/// </summary>
public sealed class TfEventsWriter : IAsyncDisposable
{
    private readonly FileStream _file;

    public string Path { get; }

    private TfEventsWriter(string path, FileStream file)
    {
        Path = path; _file = file;
    }

    /// <summary>Creates a new event file in <paramref name="directory"/> and writes the file-version record.</summary>
    public static async Task<TfEventsWriter> CreateAsync(string directory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var now = DateTimeOffset.UtcNow;
        string path;
        int n = 0;
        do path = System.IO.Path.Combine(directory, $"events.out.tfevents.{now.ToUnixTimeSeconds()}.{Environment.MachineName}.{Environment.ProcessId}.{n++}");
        while (File.Exists(path));
        var writer = new TfEventsWriter(path, new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 4096, useAsync: true));
        await writer.WriteRecordAsync(EncodeEvent(WallTime(now), 0, fileVersion: "brain.Event:2", scalars: null), cancellationToken);
        return writer;
    }

    /// <summary>Appends one event holding the given scalars at <paramref name="step"/> and flushes it.</summary>
    public async Task WriteScalarsAsync(long step, IEnumerable<(string Tag, float Value)> scalars, CancellationToken cancellationToken)
    {
        await WriteRecordAsync(EncodeEvent(WallTime(DateTimeOffset.UtcNow), step, null, scalars.ToList()), cancellationToken);
        await _file.FlushAsync(cancellationToken);
    }

    private static double WallTime(DateTimeOffset t) => t.ToUnixTimeMilliseconds() / 1000.0;

    internal static byte[] EncodeEvent(double wallTime, long step, string? fileVersion, IReadOnlyList<(string Tag, float Value)>? scalars)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, WireFormat.WireType.Fixed64); output.WriteDouble(wallTime);
        if (step != 0) { output.WriteTag(2, WireFormat.WireType.Varint); output.WriteInt64(step); }
        if (fileVersion is not null) { output.WriteTag(3, WireFormat.WireType.LengthDelimited); output.WriteString(fileVersion); }
        if (scalars is not null)
        {
            output.WriteTag(5, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(EncodeSummary(scalars)));
        }
        output.Flush();
        return buffer.ToArray();
    }

    private static byte[] EncodeSummary(IReadOnlyList<(string Tag, float Value)> scalars)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        foreach (var (tag, value) in scalars)
        {
            using var valueBuffer = new MemoryStream();
            var v = new CodedOutputStream(valueBuffer);
            v.WriteTag(1, WireFormat.WireType.LengthDelimited); v.WriteString(tag);
            v.WriteTag(2, WireFormat.WireType.Fixed32); v.WriteFloat(value);
            v.Flush();
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(valueBuffer.ToArray()));
        }
        output.Flush();
        return buffer.ToArray();
    }

    private async Task WriteRecordAsync(byte[] data, CancellationToken ct)
    {
        var header = new byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), MaskedCrc32C(header.AsSpan(0, 8)));
        var footer = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc32C(data));
        await _file.WriteAsync(header, ct);
        await _file.WriteAsync(data, ct);
        await _file.WriteAsync(footer, ct);
    }

    /// <summary>CRC32C (Castagnoli), rotated and offset as TFRecord specifies.</summary>
    public static uint MaskedCrc32C(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = BitOperations.Crc32C(crc, b);
        return ~crc;
    }

    public async ValueTask DisposeAsync()
    {
        await _file.FlushAsync();
        await _file.DisposeAsync();
    }
}
