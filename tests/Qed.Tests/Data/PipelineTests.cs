using System.Text.Json.Nodes;
using Parquet.Serialization;
using Qed.Data;
using Qed.Grading;
using Qed.Testing;

namespace Qed.Tests.Data;

/// <summary>The stages one after another, as the README runs them: generate → grade → build-sft.</summary>
public class PipelineTests
{
    [Fact]
    public async Task Teacher_proofs_are_generated_graded_and_assembled_into_an_sft_set()
    {
        using var dir = new TempDir();
        var problems = dir.File("problems.jsonl");
        await TableWriter.WriteAsync(problems,
        [
            new JsonObject { ["problem_id"] = "P1", ["problem"] = "Show that P1 holds.", ["solution"] = "Reference for P1.", ["source"] = "olympiads" },
            new JsonObject { ["problem_id"] = "P2", ["problem"] = "Show that P2 holds.", ["solution"] = "Reference for P2.", ["marking_scheme"] = "RUBRIC-P2: 7 pts for the lemma" },
            new JsonObject { ["problem_id"] = "P3", ["problem"] = "Show that P3 holds.", ["solution"] = "Reference for P3." },
            new JsonObject { ["problem_id"] = "P4", ["problem"] = "Show that P4 holds.", ["solution"] = "Reference for P4." },
        ]);
        await using var teacher = await LoopbackModel.StartAsync(req =>
        {
            var user = req.LastUserMessage!;
            if (user.Contains("P4")) return ScriptedReply.Error(400);
            // The two proofs of a problem differ in a random tail, so dedup keeps both.
            return ScriptedReply.Text($"Proof of {user[10..12]}. By the lemma the claim holds for every case {Guid.NewGuid():N}.", reasoning: $"Thinking about {user[10..12]}.");
        });
        await using var judge = await LoopbackModel.StartAsync(req =>
        {
            var prompt = req.LastUserMessage!;
            if (prompt.Contains("P3")) return ScriptedReply.Text("I cannot decide.");
            return ScriptedReply.Text(prompt.Contains("RUBRIC-P2") ? "Mostly right. <points>5 out of 7</points>" : "Complete. <points>7 out of 7</points>");
        });

        var generated = dir.File("gen.jsonl");
        (await GenerateStage.RunAsync(problems, teacher.Client().Chat, generated, new GenerateOptions { RequestsPerPrompt = 2 })).Failed.Should().Be(2);

        var graded = dir.File("graded.jsonl");
        var grader = new ProofGrader(judge.Client());
        var g = await GradeStage.RunAsync(generated, grader, graded, new GradeOptions());
        g.Should().Be(new StageSummary(8, 0, 8, 2, graded));
        var rows = await TableReader.ReadAllAsync(graded);
        rows.Select(r => r.Text("grade_status")).Should().Equal("graded", "graded", "graded", "graded", "grade_failed", "grade_failed", "skipped", "skipped");
        rows.Select(r => r.Number("points")).Should().Equal(7, 7, 5, 5, null, null, null, null);
        rows[0].Text("grading_mode").Should().Be("Proof");
        rows[2].Text("grading_mode").Should().Be("MarkingScheme");
        rows[0].Text("verdict").Should().Contain("Complete.");
        judge.Server.Requests.Should().Contain(r => r.LastUserMessage!.Contains("Reference for P1."), "the judge sees the reference solution");
        judge.Server.Requests.Should().NotContain(r => r.LastUserMessage!.Contains("Thinking about"), "the judge never sees the thinking");

        var sft = dir.File("sft.parquet");
        var s = await SftAssembly.RunAsync([graded], 6, sft);
        s.Should().Be(new SftSummary(Rows: 8, Written: 2, Failed: 2, Ungraded: 2, Truncated: 0, BelowMinPoints: 2, Duplicates: 0));

        var table = await ParquetSerializer.DeserializeUntypedAsync(File.OpenRead(sft));
        table.Schema.Fields.Select(f => f.Name).Should().Equal("problem", "reasoning_content", "proof", "messages", "source", "grade");
        var sftRows = await TableReader.ReadAllAsync(sft);
        sftRows.Should().OnlyContain(r => r.Text("problem") == "Show that P1 holds." && r.Text("source") == "olympiads" && r.Number("grade") == 7);
        sftRows[0].Text("reasoning_content").Should().Be("Thinking about P1.");
        sftRows[0].Text("proof").Should().StartWith("Proof of P1.");
        var messages = sftRows[0].Fields["messages"]!.AsArray();
        messages[0]!["role"]!.GetValue<string>().Should().Be("user");
        messages[1]!["content"]!.GetValue<string>().Should().StartWith("<think>\nThinking about P1.\n</think>\n\nProof of P1.");
    }

    [Fact]
    public async Task Build_sft_removes_near_duplicate_proofs_and_skips_truncated_ones()
    {
        using var dir = new TempDir();
        var proof = "We argue by induction on n. The base case n = 1 is clear. Assume the claim for n and consider n + 1; the extra term is bounded by the previous estimate, which completes the induction.";
        var graded = dir.File("graded.jsonl");
        await TableWriter.WriteAsync(graded,
        [
            new JsonObject { ["problem"] = "Q", ["completion"] = "<think>plan</think>" + proof, ["points"] = 7, ["finish_reason"] = "stop" },
            new JsonObject { ["problem"] = "Q", ["completion"] = "<think>other plan</think>" + proof + " ", ["points"] = 7, ["finish_reason"] = "stop" },
            new JsonObject { ["problem"] = "Q", ["completion"] = "A different proof entirely, using generating functions and a bijection with lattice paths.", ["points"] = 6 },
            new JsonObject { ["problem"] = "Q", ["completion"] = "<think>never finished", ["points"] = 7, ["finish_reason"] = "length" },
        ]);

        var s = await SftAssembly.RunAsync([graded], 6, dir.File("sft.jsonl"));

        s.Should().Be(new SftSummary(4, 2, 0, 0, 1, 0, 1));
        var rows = await TableReader.ReadAllAsync(dir.File("sft.jsonl"));
        rows[0].Text("reasoning_content").Should().Be("plan");
        rows[0].Text("proof").Should().Be(proof);
        rows[1].Text("reasoning_content").Should().BeEmpty();
        rows[1].Text("source").Should().Be("graded");
    }
}
