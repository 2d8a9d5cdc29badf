namespace Qed.Inference.Onnx;

/// <summary>
/// A weight matrix [N, K] (Hugging Face Linear layout: out × in) quantized to 4 bits in blocks of
/// <see cref="BlockSize"/> along K, in the layout of com.microsoft MatMulNBits: <see cref="Packed"/> is
/// [N, blocks, BlockSize/2] with the even element in the low nibble, <see cref="Scales"/> is [N × blocks],
/// <see cref="ZeroPoints"/> is [N, ceil(blocks/2)] nibbles (low nibble = even block). value = (q − zp) · scale.
/// </summary>
public sealed record Int4Weight(int N, int K, int BlockSize, byte[] Packed, float[] Scales, byte[] ZeroPoints)
{
    public int BlocksPerRow => (K + BlockSize - 1) / BlockSize;

    /// <summary>The float matrix [N, K] these codes stand for: what the engine multiplies by.</summary>
    public float[] Dequantize()
    {
        var w = new float[(long)N * K];
        int blocks = BlocksPerRow, zpPerRow = (blocks + 1) / 2;
        for (int n = 0; n < N; n++)
            for (int b = 0; b < blocks; b++)
            {
                float scale = Scales[n * blocks + b];
                int zpByte = ZeroPoints[n * zpPerRow + b / 2];
                int zp = (b & 1) == 0 ? zpByte & 0xF : zpByte >> 4;
                for (int j = 0; j < BlockSize; j++)
                {
                    int k = b * BlockSize + j;
                    if (k >= K) break;
                    int packed = Packed[((long)n * blocks + b) * (BlockSize / 2) + j / 2];
                    int q = (j & 1) == 0 ? packed & 0xF : packed >> 4;
                    w[(long)n * K + k] = (q - zp) * scale;
                }
            }
        return w;
    }
}

/// <summary>Asymmetric round-to-nearest 4-bit block quantization (the range of each block, widened to include 0,
/// is cut into 15 steps). Deterministic, so a test can quantize reference weights exactly as the exporter does.</summary>
public static class Int4BlockQuantizer
{
    public static Int4Weight Quantize(ReadOnlySpan<float> weight, int n, int k, int blockSize = 32)
    {
        if (blockSize < 16 || (blockSize & (blockSize - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "block size must be a power of two ≥ 16");
        if (weight.Length != (long)n * k) throw new ArgumentException($"expected {n}×{k} values, got {weight.Length}");
        int blocks = (k + blockSize - 1) / blockSize, zpPerRow = (blocks + 1) / 2;
        var packed = new byte[(long)n * blocks * blockSize / 2];
        var scales = new float[n * blocks];
        var zeros = new byte[n * zpPerRow];
        for (int row = 0; row < n; row++)
        {
            var r = weight.Slice(row * k, k);
            for (int b = 0; b < blocks; b++)
            {
                int start = b * blockSize, len = Math.Min(blockSize, k - start);
                float min = 0, max = 0;
                for (int j = 0; j < len; j++) { min = Math.Min(min, r[start + j]); max = Math.Max(max, r[start + j]); }
                float scale = (max - min) / 15f;
                if (scale == 0) scale = 1f;
                int zp = Math.Clamp((int)MathF.Round(-min / scale), 0, 15);
                scales[row * blocks + b] = scale;
                zeros[row * zpPerRow + b / 2] |= (byte)((b & 1) == 0 ? zp : zp << 4);
                long blob = ((long)row * blocks + b) * (blockSize / 2);
                for (int j = 0; j < blockSize; j++)
                {
                    float v = j < len ? r[start + j] : 0f;
                    int q = Math.Clamp((int)MathF.Round(v / scale) + zp, 0, 15);
                    packed[blob + j / 2] |= (byte)((j & 1) == 0 ? q : q << 4);
                }
            }
        }
        return new Int4Weight(n, k, blockSize, packed, scales, zeros);
    }
}
