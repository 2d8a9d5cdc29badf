using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Data;
using Qed.Grading.Quality;
using Qed.Testing;

namespace Qed.Tests.GraderBench;

public class HumanGradedSetTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "grader-bench", name);

    [Fact]
    public async Task Reads_the_IMO_GradingBench_layout_with_the_Reward_class_when_Points_is_empty()
    {
        var set = await HumanGradedSet.LoadAsync(Fixture("imo-gradingbench.csv"));
        set.Layout.Should().Be(HumanGradedLayout.ImoGradingBench);
        set.Mode.Should().Be(GradingMode.Proof);
        set.Proofs.Select(p => p.ItemId).Should().Equal("GB-1", "GB-2", "GB-3", "GB-4");
        set.Proofs.Select(p => p.HumanPoints).Should().Equal(7, 0, 6, 1); // GB-4 has no Points: Reward "Partial" → 1
        var first = set.Proofs[0];
        first.Problem.Id.Should().Be("PB-1");
        first.Problem.Statement.Should().Be("Show that 1 + 1 = 2.");
        first.Problem.ReferenceSolution.Should().StartWith("By the definition");
        first.Problem.Guidelines.Should().Be("Full credit for a complete argument.");
        first.Response.Should().EndWith("[score 7]");
    }

    [Fact]
    public async Task Reads_the_ProofBench_layout_from_csv_jsonl_and_parquet_alike()
    {
        using var dir = new TempDirectory();
        var csv = await HumanGradedSet.LoadAsync(Fixture("proofbench.csv"));
        var jsonl = await HumanGradedSet.LoadAsync(Fixture("proofbench.jsonl"));
        var parquetPath = Path.Combine(dir.Path, "proofbench.parquet");
        var rows = (await Qed.Data.TableReader.ReadAllAsync(Fixture("proofbench.jsonl"))).Select(r => (JsonObject)r.Fields.DeepClone()).ToList();
        await TableWriter.WriteAsync(parquetPath, rows);
        var parquet = await HumanGradedSet.LoadAsync(parquetPath);

        foreach (var set in new[] { csv, jsonl, parquet })
        {
            set.Layout.Should().Be(HumanGradedLayout.ProofBench);
            set.Mode.Should().Be(GradingMode.MarkingScheme);
            set.Proofs.Select(p => p.HumanPoints).Should().Equal(7, 0);
            set.Proofs[0].Problem.MarkingScheme.Should().StartWith("3 points: factor");
            set.Proofs[0].Problem.Id.Should().Be(set.Proofs[1].Problem.Id, "both rows grade the same problem");
        }
        // the same proofs whatever the file format, so the run store recognises them
        jsonl.Proofs.Select(p => p.ItemId).Should().Equal(csv.Proofs.Select(p => p.ItemId));
        parquet.ContentHash().Should().Be(csv.ContentHash());
    }

    [Fact]
    public async Task Reads_MathArena_outputs_skipping_runs_no_human_graded_and_averaging_judges()
    {
        foreach (var path in new[] { Fixture("matharena"), Fixture(Path.Combine("matharena", "1.json")) })
        {
            var set = await HumanGradedSet.LoadAsync(path);
            set.Layout.Should().Be(HumanGradedLayout.MathArena);
            set.Proofs.Should().HaveCount(2);                       // the third run has judgment null
            set.Proofs.Select(p => p.HumanPoints).Should().Equal(7, 0.5); // (0 + 1) / 2
            set.Proofs[0].Response.Should().Be("(2a+1) + (2b+1) = 2(a+b+1). [score 7]");
            set.Proofs[0].Problem.Id.Should().Be("1");
            set.Proofs[0].Problem.MarkingScheme.Should().Contain("(3 points) Parametrise: Writes odd integers");
        }
    }

    [Theory]
    [InlineData("Grading ID,Problem ID,Problem,Solution,Grading guidelines,Response,Points,Reward\nG1,P1,Q,S,G,R,lots,Correct\n", "bad.csv:2", "'Points'")]
    [InlineData("Grading ID,Problem ID,Problem,Solution,Grading guidelines,Response,Points,Reward\nG1,P1,Q,S,G,R,5,Almost\n", "bad.csv:2", "'Points'")]
    [InlineData("Grading ID,Problem ID,Problem,Solution,Grading guidelines,Response,Points,Reward\nG1,P1,Q,S,G,R,,Great\n", "bad.csv:2", "'Reward'")]
    [InlineData("Grading ID,Problem ID,Problem,Solution,Grading guidelines,Response,Points,Reward\nG1,P1,Q,S,G,,7,Correct\n", "bad.csv:2", "'Response'")]
    [InlineData("problem,model_solution,reference_solution,marking_scheme,expert_rating\nQ,A,R,M,9\n", "bad.csv:2", "'expert_rating'")]
    [InlineData("question,answer\nQ,A\n", "bad.csv:2", "unknown layout")]
    public async Task Bad_rows_name_file_line_and_field(string content, string where, string field)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("bad.csv", content);
        var act = () => HumanGradedSet.LoadAsync(path);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain(where).And.Contain(field);
    }

    [Fact]
    public async Task A_MathArena_judgment_without_points_names_the_run()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("2.json", """
            {"idx": 2, "problem": "Q", "messages": [[{"role": "assistant", "content": "A"}]], "judgment": [[{"summary": "no points"}]]}
            """);
        var act = () => HumanGradedSet.LoadAsync(path);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain("2.json:1").And.Contain("judgment[0].points");
    }
}
