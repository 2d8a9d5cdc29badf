using Parquet.Serialization;
using Qed.Training.Data;

namespace Qed.Training.Tests.Sft;

public class SftDataTests
{
    [Fact]
    public async Task Reads_both_jsonl_layouts()
    {
        var proofs = await SftConversations.ReadAsync(Path.Combine(TinyModels.Fixtures, "sft-tiny.jsonl"), CancellationToken.None);
        proofs.Should().HaveCount(64);
        proofs[0].Turns.Select(t => t.Role).Should().Equal("user", "assistant");
        proofs[0].Turns[1].ReasoningContent.Should().NotBeNullOrEmpty();

        var chats = await SftConversations.ReadAsync(Path.Combine(TinyModels.Fixtures, "sft-messages.jsonl"), CancellationToken.None);
        chats.Should().HaveCount(8);
        chats[0].Turns.Select(t => t.Role).Should().Equal("system", "user", "assistant");
    }

    [Fact]
    public async Task A_bad_row_is_reported_with_file_line_and_field()
    {
        var path = Path.Combine(TinyModels.TempDir(), "bad.jsonl");
        await File.WriteAllLinesAsync(path, ["{\"problem\": \"p\", \"proof\": \"q\"}", "{\"problem\": \"p\"}"]);
        var act = () => SftConversations.ReadAsync(path, CancellationToken.None);
        (await act.Should().ThrowAsync<QedException>()).WithMessage($"{path}:2: field 'proof' is missing");
    }

    public sealed class Message
    {
        public string role { get; set; } = "";
        public string content { get; set; } = "";
    }

    public sealed class MessagesRow
    {
        public List<Message> messages { get; set; } = [];
    }

    public sealed class ProofRow
    {
        public string problem { get; set; } = "";
        public string reasoning_content { get; set; } = "";
        public string proof { get; set; } = "";
    }

    [Fact]
    public async Task Reads_parquet_in_both_layouts()
    {
        var dir = TinyModels.TempDir();
        var flat = Path.Combine(dir, "proofs.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new ProofRow { problem = "P1", reasoning_content = "R1", proof = "Q1" } }, flat);
        var rows = await SftConversations.ReadAsync(flat, CancellationToken.None);
        rows.Should().ContainSingle();
        rows[0].Turns[1].Should().Be(new Qed.Inference.Chat.ChatTurn("assistant", "Q1", "R1"));

        var nested = Path.Combine(dir, "chats.parquet");
        await ParquetSerializer.SerializeAsync(new[]
        {
            new MessagesRow { messages = [new() { role = "user", content = "U1" }, new() { role = "assistant", content = "A1" }] },
            new MessagesRow { messages = [new() { role = "user", content = "U2" }, new() { role = "assistant", content = "A2" }] },
        }, nested);
        var chats = await SftConversations.ReadAsync(nested, CancellationToken.None);
        chats.Should().HaveCount(2);
        chats[1].Turns.Select(t => t.Content).Should().Equal("U2", "A2");
    }

    [Fact]
    public void The_epoch_plan_is_a_pure_function_of_seed_and_epoch()
    {
        var examples = Enumerable.Range(0, 20).Select(i => new SftExample(
            Enumerable.Range(0, 5 + i).ToArray(), Enumerable.Range(0, 5 + i).Select(j => j > 2).ToArray(), $"row {i}")).ToList();
        var layout = new BatchLayout(64, Pack: true, RowsPerMicroBatch: 2, GradientAccumulation: 2);
        var a = SftEpochPlan.Build(examples, 5, 1, layout, 0);
        var b = SftEpochPlan.Build(examples, 5, 1, layout, 0);
        var other = SftEpochPlan.Build(examples, 5, 2, layout, 0);
        a.MicroBatches.SelectMany(m => m.TokenIds).Should().Equal(b.MicroBatches.SelectMany(m => m.TokenIds));
        a.MicroBatches.SelectMany(m => m.TokenIds).Should().NotEqual(other.MicroBatches.SelectMany(m => m.TokenIds));
        a.MicroBatches.Sum(m => m.TokenCount).Should().Be(examples.Sum(e => e.Length), "every example appears once per epoch");
        a.MicroBatches.Should().OnlyContain(m => m.Columns <= 64);
        a.Steps.Should().Be((a.MicroBatches.Count + 1) / 2);
    }
}
