using System.Buffers.Binary;
using System.Text;
using Qed.Inference.Checkpoints;

namespace Qed.Inference.Tests.Checkpoints;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("qed-st-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Round_trips_f32_bf16_f16_tensors_with_shapes_and_metadata()
    {
        float[] values = [1f, -2.5f, 3.140625f, 0f, 65504f, -0.0001220703125f];
        var writer = new SafetensorsWriter(new Dictionary<string, string> { ["format"] = "pt", ["step"] = "7" })
            .Add("a.f32", values, [2, 3])
            .Add("b.bf16", values, [3, 2], TensorDType.BF16)
            .Add("c.f16", values, [6], TensorDType.F16)
            .Add("d.i64", TensorDType.I64, [2], new byte[16]);
        var path = Path.Combine(_dir, "x.safetensors");
        await writer.WriteAsync(path, CancellationToken.None);

        using var file = SafetensorsFile.Open(path);
        file.Metadata.Should().Contain("step", "7");
        file.Tensors.Select(t => t.Name).Should().Equal("a.f32", "b.bf16", "c.f16", "d.i64");
        file.Info("a.f32").Shape.Should().Equal(2L, 3L);
        file.Info("b.bf16").DType.Should().Be(TensorDType.BF16);
        file.ReadSingles("a.f32").Should().Equal(values);
        // These values are exact in bf16 and f16, so the round trip is lossless.
        file.ReadSingles("b.bf16").Should().Equal(values.Select(v => TensorDTypes.BFloat16ToSingle(TensorDTypes.SingleToBFloat16(v))));
        file.ReadSingles("c.f16").Should().Equal(values.Select(v => (float)(Half)v));
        file.Bytes("d.i64").Length.Should().Be(16);

        // Data section starts 8-byte aligned, as the format recommends.
        var raw = await File.ReadAllBytesAsync(path);
        (BinaryPrimitives.ReadUInt64LittleEndian(raw) % 8).Should().Be(0);
    }

    [Fact]
    public void BFloat16_rounds_to_nearest_even()
    {
        TensorDTypes.SingleToBFloat16(1f).Should().Be(0x3F80);
        // 1 + 2^-8 is exactly halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        TensorDTypes.SingleToBFloat16(1f + MathF.Pow(2, -8)).Should().Be(0x3F80);
        TensorDTypes.SingleToBFloat16(1f + 3 * MathF.Pow(2, -8)).Should().Be(0x3F82);
        float.IsNaN(TensorDTypes.BFloat16ToSingle(TensorDTypes.SingleToBFloat16(float.NaN))).Should().BeTrue();
    }

    [Fact]
    public async Task Sharded_checkpoint_writes_an_index_and_reads_back_by_name()
    {
        var writer = new SafetensorsWriter();
        for (int i = 0; i < 5; i++) writer.Add($"layers.{i}.weight", Enumerable.Range(0, 100).Select(x => (float)(x * i)).ToArray(), [10, 10]);
        var files = await writer.WriteCheckpointAsync(_dir, maxShardBytes: 500, CancellationToken.None);

        files.Select(Path.GetFileName).Should().Contain(["model-00001-of-00005.safetensors", "model.safetensors.index.json"]);
        var index = SafetensorsCheckpoint.ReadIndex(Path.Combine(_dir, "model.safetensors.index.json"));
        index["layers.3.weight"].Should().Be("model-00004-of-00005.safetensors");

        using var ckpt = SafetensorsCheckpoint.Open(_dir);
        ckpt.Names.Should().HaveCount(5);
        ckpt.ReadSingles("layers.3.weight")[7].Should().Be(21f);
        ckpt.Files.Should().HaveCount(5);
    }

    [Fact]
    public async Task Small_checkpoint_is_one_model_safetensors()
    {
        await new SafetensorsWriter().Add("w", [1f, 2f], [2]).WriteCheckpointAsync(_dir, 1 << 20, CancellationToken.None);
        File.Exists(Path.Combine(_dir, "model.safetensors")).Should().BeTrue();
        using var ckpt = SafetensorsCheckpoint.Open(_dir);
        ckpt.ReadSingles("w").Should().Equal(1f, 2f);
    }

    [Fact]
    public async Task Reads_a_file_written_by_another_writer()
    {
        // Hand-built file with unsorted header keys and no padding, as other tools may write.
        var header = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(Encoding.UTF8.GetBytes(header));
        bytes.AddRange([0x80, 0x3F, 0x00, 0xC0]); // bf16 1.0, -2.0
        bytes.AddRange(BitConverter.GetBytes(0.5f));
        var path = Path.Combine(_dir, "other.safetensors");
        await File.WriteAllBytesAsync(path, bytes.ToArray());

        using var f = SafetensorsFile.Open(path);
        f.ReadSingles("a").Should().Equal(1f, -2f);
        f.ReadSingles("b").Should().Equal(0.5f);
    }

    [Fact]
    public async Task Corrupt_header_names_the_file_and_tensor()
    {
        var header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}";
        var path = Path.Combine(_dir, "bad.safetensors");
        await File.WriteAllBytesAsync(path, [.. BitConverter.GetBytes((ulong)header.Length), .. Encoding.UTF8.GetBytes(header), .. new byte[8]]);
        var act = () => SafetensorsFile.Open(path);
        act.Should().Throw<QedException>().WithMessage("*bad.safetensors*'w'*do not match shape*");
    }
}
