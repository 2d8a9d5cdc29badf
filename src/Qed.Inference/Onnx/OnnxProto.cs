using Google.Protobuf;

namespace Qed.Inference.Onnx;

// The few ONNX protobuf messages the exporter writes, encoded by hand with Google.Protobuf's CodedOutputStream.
// Field numbers are those of onnx/onnx.proto (public): only the fields we set are modelled, write-only.

/// <summary>TensorProto.DataType values.</summary>
public enum OnnxDataType { Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7, Bool = 9, Float16 = 10, Double = 11, BFloat16 = 16 }

internal abstract class ProtoMessage
{
    public abstract void WriteTo(CodedOutputStream output);

    public byte[] ToByteArray()
    {
        using var ms = new MemoryStream();
        using (var output = new CodedOutputStream(ms, leaveOpen: true)) WriteTo(output);
        return ms.ToArray();
    }

    protected static void WriteMessage(CodedOutputStream o, int field, ProtoMessage message)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(message.ToByteArray()));
    }

    protected static void WriteString(CodedOutputStream o, int field, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteString(value);
    }

    protected static void WriteInt64(CodedOutputStream o, int field, long value)
    {
        o.WriteTag(field, WireFormat.WireType.Varint);
        o.WriteInt64(value);
    }
}

internal sealed class OperatorSetId(string domain, long version) : ProtoMessage
{
    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, domain);
        WriteInt64(o, 2, version);
    }
}

internal sealed class StringStringEntry(string key, string value) : ProtoMessage
{
    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, key);
        WriteString(o, 2, value);
    }
}

/// <summary>An initializer: inline raw bytes, or a range of the external data file.</summary>
internal sealed class TensorProto : ProtoMessage
{
    public required string Name { get; init; }
    public required OnnxDataType DataType { get; init; }
    public required long[] Dims { get; init; }
    public byte[]? RawData { get; init; }
    public (string Location, long Offset, long Length)? External { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        foreach (var d in Dims) WriteInt64(o, 1, d);
        o.WriteTag(2, WireFormat.WireType.Varint);
        o.WriteInt32((int)DataType);
        WriteString(o, 8, Name);
        if (RawData is not null)
        {
            o.WriteTag(9, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(RawData));
        }
        if (External is { } e)
        {
            WriteMessage(o, 13, new StringStringEntry("location", e.Location));
            WriteMessage(o, 13, new StringStringEntry("offset", e.Offset.ToString()));
            WriteMessage(o, 13, new StringStringEntry("length", e.Length.ToString()));
            o.WriteTag(14, WireFormat.WireType.Varint);
            o.WriteInt32(1); // DataLocation.EXTERNAL
        }
    }
}

internal sealed class AttributeProto : ProtoMessage
{
    private enum Kind { Float = 1, Int = 2, String = 3, Tensor = 4, Floats = 6, Ints = 7 }

    private readonly string _name;
    private readonly Kind _kind;
    private readonly float _f;
    private readonly long _i;
    private readonly string? _s;
    private readonly long[]? _ints;
    private readonly TensorProto? _t;

    private AttributeProto(string name, Kind kind, float f = 0, long i = 0, string? s = null, long[]? ints = null, TensorProto? t = null)
    {
        _name = name; _kind = kind; _f = f; _i = i; _s = s; _ints = ints; _t = t;
    }

    public static AttributeProto Of(string name, long value) => new(name, Kind.Int, i: value);
    public static AttributeProto Of(string name, float value) => new(name, Kind.Float, f: value);
    public static AttributeProto Of(string name, string value) => new(name, Kind.String, s: value);
    public static AttributeProto Of(string name, long[] values) => new(name, Kind.Ints, ints: values);
    public static AttributeProto Of(string name, TensorProto value) => new(name, Kind.Tensor, t: value);

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, _name);
        switch (_kind)
        {
            case Kind.Float: o.WriteTag(2, WireFormat.WireType.Fixed32); o.WriteFloat(_f); break;
            case Kind.Int: WriteInt64(o, 3, _i); break;
            case Kind.String: o.WriteTag(4, WireFormat.WireType.LengthDelimited); o.WriteBytes(ByteString.CopyFromUtf8(_s!)); break;
            case Kind.Tensor: WriteMessage(o, 5, _t!); break;
            case Kind.Ints: foreach (var v in _ints!) WriteInt64(o, 8, v); break;
        }
        o.WriteTag(20, WireFormat.WireType.Varint);
        o.WriteInt32((int)_kind);
    }
}

internal sealed class NodeProto : ProtoMessage
{
    public required string OpType { get; init; }
    public required string Name { get; init; }
    public required IReadOnlyList<string> Inputs { get; init; }
    public required IReadOnlyList<string> Outputs { get; init; }
    public string Domain { get; init; } = "";
    public IReadOnlyList<AttributeProto> Attributes { get; init; } = [];

    public override void WriteTo(CodedOutputStream o)
    {
        // An empty input name marks an omitted optional input; it must still be written to keep positions.
        foreach (var i in Inputs) { o.WriteTag(1, WireFormat.WireType.LengthDelimited); o.WriteString(i); }
        foreach (var x in Outputs) { o.WriteTag(2, WireFormat.WireType.LengthDelimited); o.WriteString(x); }
        WriteString(o, 3, Name);
        WriteString(o, 4, OpType);
        foreach (var a in Attributes) WriteMessage(o, 5, a);
        WriteString(o, 7, Domain);
    }
}

/// <summary>A graph input or output: a tensor of <see cref="ElementType"/> whose dims are numbers or symbolic names.</summary>
internal sealed class ValueInfoProto(string name, OnnxDataType elementType, object[] dims) : ProtoMessage
{
    public string Name => name;

    public override void WriteTo(CodedOutputStream o)
    {
        WriteString(o, 1, name);
        WriteMessage(o, 2, new TypeProto(elementType, dims));
    }

    private sealed class TypeProto(OnnxDataType elementType, object[] dims) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream o) => WriteMessage(o, 1, new TensorType(elementType, dims));
    }

    private sealed class TensorType(OnnxDataType elementType, object[] dims) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream o)
        {
            o.WriteTag(1, WireFormat.WireType.Varint);
            o.WriteInt32((int)elementType);
            WriteMessage(o, 2, new Shape(dims));
        }
    }

    private sealed class Shape(object[] dims) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream o)
        {
            foreach (var d in dims) WriteMessage(o, 1, new Dimension(d));
        }
    }

    private sealed class Dimension(object dim) : ProtoMessage
    {
        public override void WriteTo(CodedOutputStream o)
        {
            if (dim is string symbol) WriteString(o, 2, symbol);
            else WriteInt64(o, 1, Convert.ToInt64(dim));
        }
    }
}

internal sealed class GraphProto : ProtoMessage
{
    public required string Name { get; init; }
    public required IReadOnlyList<NodeProto> Nodes { get; init; }
    public required IReadOnlyList<TensorProto> Initializers { get; init; }
    public required IReadOnlyList<ValueInfoProto> Inputs { get; init; }
    public required IReadOnlyList<ValueInfoProto> Outputs { get; init; }

    public override void WriteTo(CodedOutputStream o)
    {
        foreach (var n in Nodes) WriteMessage(o, 1, n);
        WriteString(o, 2, Name);
        foreach (var t in Initializers) WriteMessage(o, 5, t);
        foreach (var i in Inputs) WriteMessage(o, 11, i);
        foreach (var x in Outputs) WriteMessage(o, 12, x);
    }
}

internal sealed class ModelProto : ProtoMessage
{
    public long IrVersion { get; init; } = 8;
    public required IReadOnlyList<OperatorSetId> OpsetImports { get; init; }
    public string ProducerName { get; init; } = "qed";
    public string ProducerVersion { get; init; } = "1";
    public required GraphProto Graph { get; init; }
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    public override void WriteTo(CodedOutputStream o)
    {
        WriteInt64(o, 1, IrVersion);
        WriteString(o, 2, ProducerName);
        WriteString(o, 3, ProducerVersion);
        WriteMessage(o, 7, Graph);
        foreach (var op in OpsetImports) WriteMessage(o, 8, op);
        foreach (var (k, v) in Metadata) WriteMessage(o, 14, new StringStringEntry(k, v));
    }
}
