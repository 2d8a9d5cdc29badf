using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Qed.Data;
using Qed.Llm;
using Qed.Testing;

namespace Qed.Tests.Data;

public class FilterAndRubricTests
{
    private const string Valid = "```json\n{\"incomplete\": false, \"difficulty\": 4, \"gaps\": false, \"wrong\": true, \"disagreement\": false, \"computational\": false}\n```";

    private static async Task<string> Pairs(TempDir dir, params string[] names)
    {
        var path = dir.File("pairs.jsonl");
        await TableWriter.WriteAsync(path, names.Select(n => new JsonObject { ["id"] = n, ["problem"] = $"Problem {n}: show it.", ["solution"] = $"Solution of {n}." }).ToList());
        return path;
    }

    private static string NameIn(RecordedRequest r) => r.LastUserMessage!.Split("Problem ")[1].Split(':')[0];

    [Fact]
    public void Our_prompts_are_embedded_and_name_their_placeholders()
    {
        var library = new PromptLibrary();
        library.Get("Data", "filter").Placeholders.Should().BeEquivalentTo("problem", "solution");
        library.Get("Data", "rubric").Placeholders.Should().BeEquivalentTo("problem", "solution", "feedback");
        library.Get("Data", "generate").Placeholders.Should().BeEquivalentTo("problem");
    }

    [Fact]
    public async Task Filter_adds_a_validated_classification_retries_invalid_json_then_records_unparsable()
    {
        using var dir = new TempDir();
        var input = await Pairs(dir, "A", "B", "C");
        var calls = new ConcurrentDictionary<string, int>();
        await using var model = await LoopbackModel.StartAsync(req =>
        {
            var name = NameIn(req);
            var n = calls.AddOrUpdate(name, 1, (_, c) => c + 1);
            return name switch
            {
                "A" => ScriptedReply.Text(Valid),
                "B" => ScriptedReply.Text(n == 1 ? "{\"incomplete\": false, \"difficulty\": 12}" : Valid),
                _ => ScriptedReply.Text("I think this is fine."),
            };
        });
        var output = dir.File("filtered.jsonl");

        var summary = await FilterStage.RunAsync(input, model.Client().Chat, new PromptLibrary().Get("Data", "filter"), output, new ModelStageOptions());

        summary.Should().Be(new StageSummary(3, 0, 3, 1, output));
        var rows = await TableReader.ReadAllAsync(output);
        rows.Select(r => r.Text("id")).Should().Equal("A", "B", "C");
        rows[0].Text("filter_status").Should().Be("ok");
        rows[0].Number("difficulty").Should().Be(4);
        rows[0].Text("wrong").Should().Be("true");
        rows[0].Fields["filter"]!["gaps"]!.GetValue<bool>().Should().BeFalse();
        rows[1].Text("filter_status").Should().Be("ok");
        rows[1].Number("filter_attempts").Should().Be(2);
        rows[2].Text("filter_status").Should().Be("unparsable");
        rows[2].Number("filter_attempts").Should().Be(3);
        rows[2].Has("difficulty").Should().BeFalse("an unparsable reply never becomes a default classification");
        rows[2].Text("filter_reply").Should().Be("I think this is fine.");
        calls["C"].Should().Be(3);
        model.Server.Requests.First().LastUserMessage.Should().Contain("Solution of");
    }

    [Fact]
    public async Task Rubrics_regenerate_schemes_not_summing_to_seven_and_flag_those_that_never_do()
    {
        using var dir = new TempDir();
        var input = await Pairs(dir, "A", "B", "C", "D");
        var calls = new ConcurrentDictionary<string, int>();
        const string seven = "{\"checkpoints\": [{\"description\": \"Key lemma\", \"points\": 3}, {\"description\": \"Finish\", \"points\": 4}], \"zero_credit\": [\"Small cases\"], \"deductions\": [{\"description\": \"Arithmetic slip\", \"points\": 1}]}";
        const string six = "{\"checkpoints\": [{\"description\": \"Key lemma\", \"points\": 3}, {\"description\": \"Finish\", \"points\": 3}], \"zero_credit\": [], \"deductions\": []}";
        await using var model = await LoopbackModel.StartAsync(req =>
        {
            var name = NameIn(req);
            var n = calls.AddOrUpdate(name, 1, (_, c) => c + 1);
            return ScriptedReply.Text(name switch
            {
                "A" => seven,
                "B" => n == 1 ? six : seven,
                "C" => six,
                _ => "no scheme today",
            });
        });
        var output = dir.File("rubrics.parquet");

        var summary = await RubricStage.RunAsync(input, model.Client().Chat, new PromptLibrary().Get("Data", "rubric"), output, new ModelStageOptions { MaxAttempts = 2 });

        summary.Should().Be(new StageSummary(4, 0, 4, 2, output));
        var rows = await TableReader.ReadAllAsync(output);
        rows.Select(r => r.Text("rubric_status")).Should().Equal("ok", "ok", "flagged", "unparsable");
        rows[0].Number("rubric_points").Should().Be(7);
        rows[0].Text("marking_scheme").Should().Contain("- 3 pts: Key lemma").And.Contain("Small cases");
        rows[1].Number("rubric_attempts").Should().Be(2);
        rows[2].Number("rubric_points").Should().Be(6);
        rows[2].Text("rubric_error").Should().Be("checkpoints sum to 6, not 7");
        model.Server.Requests.Where(r => NameIn(r) == "B").Last().LastUserMessage.Should().Contain("checkpoints sum to 6, not 7");
        rows[3].Has("rubric").Should().BeFalse();

        // The output is a marking-scheme benchmark as it stands.
        var bench = await new Qed.Benchmarks.BenchmarkLoader().LoadAsync(output, null, CancellationToken.None);
        bench.Problems.Where(p => p.MarkingScheme is not null).Should().HaveCount(3);
    }
}
