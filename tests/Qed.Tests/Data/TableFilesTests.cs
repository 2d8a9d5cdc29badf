using System.Text.Json.Nodes;
using Qed.Data;

namespace Qed.Tests.Data;

public class TableFilesTests
{
    private static List<JsonObject> SampleRows() =>
    [
        new JsonObject
        {
            ["problem"] = "Prove that 1 + 1 = 2.\nUse \"Peano\", axioms.",
            ["grade"] = 7,
            ["score"] = 0.5,
            ["ok"] = true,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "hi" },
                new JsonObject { ["role"] = "assistant", ["content"] = "hello" }),
            ["meta"] = new JsonObject { ["k"] = 1 },
        },
        new JsonObject
        {
            ["problem"] = "Second, with ünïcode ≤ and a comma",
            ["grade"] = 3,
            ["score"] = 2,
            ["ok"] = false,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "x" }),
            ["meta"] = null,
        },
    ];

    [Theory]
    [InlineData("rows.jsonl")]
    [InlineData("rows.parquet")]
    public async Task Rows_round_trip_with_their_types(string name)
    {
        using var dir = new TempDir();
        var path = dir.File(name);
        await TableWriter.WriteAsync(path, SampleRows());

        var rows = await TableReader.ReadAllAsync(path);

        rows.Should().HaveCount(2);
        rows[0].Text("problem").Should().Be("Prove that 1 + 1 = 2.\nUse \"Peano\", axioms.");
        rows[0].Number("grade").Should().Be(7);
        rows[0].Number("score").Should().Be(0.5);
        rows[1].Number("score").Should().Be(2);
        rows[1].Text("ok").Should().Be("false");
        rows[0].Fields["messages"]!.AsArray().Should().HaveCount(2);
        rows[0].Fields["messages"]![1]!["content"]!.GetValue<string>().Should().Be("hello");
        rows[1].Text("problem").Should().Be("Second, with ünïcode ≤ and a comma");
        rows[1].Line.Should().Be(2);
    }

    [Fact]
    public async Task Csv_round_trips_text_and_reports_the_line_where_a_multiline_record_starts()
    {
        using var dir = new TempDir();
        var path = dir.File("rows.csv");
        await TableWriter.WriteAsync(path, SampleRows());

        var rows = await TableReader.ReadAllAsync(path);

        rows.Should().HaveCount(2);
        rows[0].Text("problem").Should().Be("Prove that 1 + 1 = 2.\nUse \"Peano\", axioms.");
        rows[0].Number("grade").Should().Be(7);
        rows[0].Line.Should().Be(2);
        rows[1].Line.Should().Be(4, "the first record spans lines 2 and 3");
    }

    [Fact]
    public async Task Bad_jsonl_names_the_file_and_line()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.jsonl", "{\"a\": 1}\n\n{\"a\": 2,\n");

        var act = () => TableReader.ReadAllAsync(path);

        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().StartWith($"{path}:3: not valid JSON");
    }

    [Fact]
    public async Task A_json_value_that_is_not_an_object_is_rejected()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.jsonl", "[1, 2]\n");
        var act = () => TableReader.ReadAllAsync(path);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain(":1: expected a JSON object");
    }

    [Fact]
    public async Task A_missing_field_is_named_with_file_and_line()
    {
        using var dir = new TempDir();
        var path = dir.Write("rows.jsonl", "{\"problem\": \"p\"}\n{\"points\": \"seven\"}\n");
        var rows = await TableReader.ReadAllAsync(path);

        rows[0].Invoking(r => r.RequireText("proof")).Should().Throw<QedException>().WithMessage($"{path}:1: field 'proof' is missing or null");
        rows[1].Invoking(r => r.Number("points")).Should().Throw<QedException>().WithMessage($"{path}:2: field 'points' is not a number*");
    }

    [Fact]
    public async Task Csv_with_too_many_fields_names_the_line()
    {
        using var dir = new TempDir();
        var path = dir.Write("bad.csv", "a,b\n1,2\n3,4,5\n");
        var act = () => TableReader.ReadAllAsync(path);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Be($"{path}:3: row has 3 fields but the header names 2");
    }

    [Fact]
    public async Task A_failed_write_leaves_the_previous_file_untouched_and_no_temporary_file()
    {
        using var dir = new TempDir();
        var path = dir.Write("out.jsonl", "{\"old\": true}\n");

        var act = () => AtomicFile.WriteAsync(path, async (s, ct) =>
        {
            await s.WriteAsync(new byte[] { 1, 2, 3 }, ct);
            throw new IOException("disk on fire");
        });

        await act.Should().ThrowAsync<IOException>();
        File.ReadAllText(path).Should().Be("{\"old\": true}\n");
        Directory.GetFiles(dir.Path).Should().ContainSingle();
    }

    [Fact]
    public async Task A_cancelled_write_leaves_nothing()
    {
        using var dir = new TempDir();
        var path = dir.File("out.parquet");
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var act = () => TableWriter.WriteAsync(path, SampleRows(), cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        Directory.GetFiles(dir.Path).Should().BeEmpty();
    }

    [Fact]
    public async Task A_journal_drops_a_torn_last_line_and_appends_after_the_complete_ones()
    {
        using var dir = new TempDir();
        var path = dir.Write("j.jsonl", "{\"i\": 0}\n{\"i\": 1}\n{\"i\": 2, \"tex");

        await using (var journal = await JsonlJournal.OpenAsync(path))
        {
            journal.Existing.Select(r => r["i"]!.GetValue<int>()).Should().Equal(0, 1);
            await Task.WhenAll(Enumerable.Range(2, 50).Select(i => journal.AppendAsync(new JsonObject { ["i"] = i })));
        }

        var rows = await TableReader.ReadAllAsync(path);
        rows.Select(r => (int)r.Number("i")!.Value).Order().Should().Equal(Enumerable.Range(0, 52));
    }

    [Fact]
    public async Task Unknown_formats_are_refused()
    {
        using var dir = new TempDir();
        var act = () => TableWriter.WriteAsync(dir.File("x.xlsx"), SampleRows());
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain("unknown data format");
    }
}
