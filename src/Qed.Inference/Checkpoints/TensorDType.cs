using System.Buffers.Binary;

namespace Qed.Inference.Checkpoints;

/// <summary>Element types as the safetensors header spells them.</summary>
public enum TensorDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool }

public static class TensorDTypes
{
    public static int SizeOf(this TensorDType t) => t switch
    {
        TensorDType.F64 or TensorDType.I64 => 8,
        TensorDType.F32 or TensorDType.I32 => 4,
        TensorDType.F16 or TensorDType.BF16 or TensorDType.I16 => 2,
        _ => 1,
    };

    public static string HeaderName(this TensorDType t) => t == TensorDType.Bool ? "BOOL" : t.ToString();

    public static bool TryParse(string name, out TensorDType dtype)
    {
        if (name == "BOOL") { dtype = TensorDType.Bool; return true; }
        return Enum.TryParse(name, ignoreCase: false, out dtype) && name == dtype.ToString();
    }

    /// <summary>The dtype a Hugging Face config's <c>torch_dtype</c> names ("bfloat16", "float16", "float32").</summary>
    public static TensorDType FromTorchName(string torchDtype) => torchDtype switch
    {
        "bfloat16" => TensorDType.BF16,
        "float16" => TensorDType.F16,
        "float32" => TensorDType.F32,
        _ => throw new QedException($"torch_dtype '{torchDtype}' is not one of bfloat16, float16, float32"),
    };

    public static string TorchName(this TensorDType t) => t switch
    {
        TensorDType.BF16 => "bfloat16",
        TensorDType.F16 => "float16",
        TensorDType.F32 => "float32",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not a floating-point weight dtype"),
    };

    /// <summary>bfloat16 is the top half of a float32.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Rounds to nearest, ties to even, as PyTorch does; NaN stays NaN.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var x = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((x >> 16) | 0x40);
        x += 0x7FFFu + ((x >> 16) & 1);
        return (ushort)(x >> 16);
    }

    /// <summary>Decodes little-endian elements of a floating-point dtype into float32.</summary>
    public static void ToSingles(ReadOnlySpan<byte> raw, TensorDType dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case TensorDType.F32:
                for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]);
                break;
            case TensorDType.BF16:
                for (int i = 0; i < destination.Length; i++) destination[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * i)..]));
                break;
            case TensorDType.F16:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(2 * i)..]);
                break;
            case TensorDType.F64:
                for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]);
                break;
            default:
                throw new QedException($"tensor dtype {dtype.HeaderName()} is not a floating-point type");
        }
    }

    /// <summary>Encodes float32 values as little-endian elements of a floating-point dtype.</summary>
    public static byte[] FromSingles(ReadOnlySpan<float> values, TensorDType dtype)
    {
        var bytes = new byte[values.Length * dtype.SizeOf()];
        var span = bytes.AsSpan();
        switch (dtype)
        {
            case TensorDType.F32:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(span[(4 * i)..], values[i]);
                break;
            case TensorDType.BF16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(span[(2 * i)..], SingleToBFloat16(values[i]));
                break;
            case TensorDType.F16:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(span[(2 * i)..], (Half)values[i]);
                break;
            case TensorDType.F64:
                for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(span[(8 * i)..], values[i]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a floating-point dtype");
        }
        return bytes;
    }
}
