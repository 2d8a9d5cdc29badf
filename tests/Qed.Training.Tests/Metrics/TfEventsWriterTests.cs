using System.Buffers.Binary;
using System.Text;
using Qed.Training.Metrics;

namespace Qed.Training.Tests.Metrics;

public class TfEventsWriterTests
{
    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        TfEventsWriter.Crc32C(Encoding.ASCII.GetBytes("123456789")).Should().Be(0xE3069283u);
    }

    [Fact]
    public async Task Records_are_framed_checksummed_and_decode_as_tensorflow_events()
    {
        var dir = TinyModels.TempDir();
        string path;
        await using (var writer = await TfEventsWriter.CreateAsync(dir, CancellationToken.None))
        {
            await writer.WriteScalarsAsync(3, [("train/loss", 1.5f), ("train/lr", 0.25f)], CancellationToken.None);
            path = writer.Path;
        }
        Path.GetFileName(path).Should().StartWith("events.out.tfevents.");

        var bytes = File.ReadAllBytes(path);
        var events = new List<Tensorboard.Event>();
        int at = 0;
        while (at < bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)).Should().Be(TfEventsWriter.MaskedCrc32C(bytes.AsSpan(at, 8)));
            var data = bytes.AsSpan(at + 12, length);
            BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)).Should().Be(TfEventsWriter.MaskedCrc32C(data));
            // Decoded with the generated TensorBoard protobuf classes that ship inside TorchSharp: an independent reader.
            events.Add(Tensorboard.Event.Parser.ParseFrom(data.ToArray()));
            at += 12 + length + 4;
        }

        events.Should().HaveCount(2);
        events[0].FileVersion.Should().Be("brain.Event:2");
        events[1].Step.Should().Be(3);
        events[1].Summary.Value.Select(v => (v.Tag, v.SimpleValue)).Should().Equal(("train/loss", 1.5f), ("train/lr", 0.25f));
        events[1].WallTime.Should().BeGreaterThan(1.7e9);
    }
}
