using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qed.Testing;

namespace Qed.Cli.Tests.GraderBench;

/// <summary>`qed grader-bench` as a user runs it, against a scripted loopback judge.</summary>
public partial class GraderBenchCliTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "grader-bench", name);

    [GeneratedRegex(@"\[score (\w+)\]")]
    private static partial Regex ScoreMarker();

    public async Task InitializeAsync()
    {
        _server = await LoopbackChatServer.StartAsync();
        // "lenient" gives the score in the proof's [score N] marker, "strict" always 0.
        _server.Responder = r =>
        {
            var marker = ScoreMarker().Match(r.LastUserMessage ?? "").Groups[1].Value;
            var strict = r.Json?["model"]?.GetValue<string>() == "strict";
            return new ScriptedReply { Content = $"Checked.\n<points>{(strict ? "0" : marker)} out of 7</points>", PromptTokens = 300, CompletionTokens = 20 };
        };
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private string Judge(string name) => _dir.Write(name + ".yaml", $"""
        model: {name}
        base_url: {_server.BaseUrl}
        read_cost: 1
        write_cost: 4
        max_retries: 0
        timeout: 5
        """);

    private async Task<JsonObject> BenchJsonAsync(params string[] args)
    {
        var r = await QedProcess.RunAsync(_dir.Path, null, Limit, ["grader-bench", .. args, "--json"]);
        r.ExitCode.Should().Be(0, r.StdErr);
        return JsonNode.Parse(r.StdOut)!.AsObject();
    }

    [Fact]
    public async Task Reports_agreement_with_human_grades_and_resumes()
    {
        var json = await BenchJsonAsync("--data", Fixture("imo-gradingbench.csv"), "--judge", Judge("lenient"), "--db", "g.db");

        // human 7 0 6 1 (GB-4's Points is empty: Reward "Partial" → 1); judge 7 1 6 7
        json["n"]!.GetValue<int>().Should().Be(4);
        json["mae"]!.GetValue<double>().Should().BeApproximately((0 + 1 + 0 + 6) / 4.0, 1e-12);
        json["accuracy"]!.GetValue<double>().Should().BeApproximately(2 / 4.0, 1e-12);
        // buckets human C I A P, judge C P A C → C and A agree
        json["bucket_accuracy"]!.GetValue<double>().Should().BeApproximately(2 / 4.0, 1e-12);
        // means 3.5 and 5.25; deviations h 3.5 −3.5 2.5 −2.5, j 1.75 −4.25 0.75 1.75
        // Σ = 6.125 + 14.875 + 1.875 − 4.375 = 18.5; Σdh² = 37; Σdj² = 24.75
        json["pearson"]!.GetValue<double>().Should().BeApproximately(18.5 / Math.Sqrt(37 * 24.75), 1e-12);
        // ranks h 4 1 3 2, j 3.5 1 2 3.5 (mean 2.5): Σ = 1.5 + 2.25 − 0.25 − 0.5 = 3; Σdh² = 5; Σdj² = 4.5
        json["spearman"]!.GetValue<double>().Should().BeApproximately(3 / Math.Sqrt(5 * 4.5), 1e-12);
        // 6 pairs: 4 concordant, 1 discordant (GB-3/GB-4), 1 tied for the judge (GB-1/GB-4) → 3 / sqrt(6 · 5)
        json["kendall"]!.GetValue<double>().Should().BeApproximately(3 / Math.Sqrt(30), 1e-12);
        // PB-1 ordered alike, PB-2 reversed
        json["pairwise_consistency"]!.GetValue<double>().Should().BeApproximately(0.5, 1e-12);
        // PB-1: centred h ±3.5, j ±3 → 0.5 0.5; PB-2: centred h ±2.5, j ∓0.5 → 3 3; mean 1.75
        json["centred_mae"]!.GetValue<double>().Should().BeApproximately(1.75, 1e-12);
        // 4 calls × (300 × $1 + 20 × $4) per million
        json["cost_usd"]!.GetValue<double>().Should().BeApproximately(4 * 380 / 1e6, 1e-12);
        json["input_tokens"]!.GetValue<long>().Should().Be(1200);
        json["output_tokens"]!.GetValue<long>().Should().Be(80);
        json["grade_failed"]!.GetValue<int>().Should().Be(0);
        var counts = json["confusion"]!["counts"]!.AsArray();
        json["confusion"]!["labels"]!.AsArray().Select(l => l!.GetValue<string>()).Should().Equal("Incorrect", "Partial", "Almost", "Correct");
        counts[0]![1]!.GetValue<int>().Should().Be(1); // human 0, judge 1
        counts[1]![3]!.GetValue<int>().Should().Be(1); // human 1, judge 7
        counts[2]![2]!.GetValue<int>().Should().Be(1);
        counts[3]![3]!.GetValue<int>().Should().Be(1);
        _server.RequestCount.Should().Be(4);

        var again = await BenchJsonAsync("--data", Fixture("imo-gradingbench.csv"), "--judge", Judge("lenient"), "--db", "g.db");
        _server.RequestCount.Should().Be(4, "the rerun reads the grades from the run store");
        again["graded_now"]!.GetValue<int>().Should().Be(0);
        again["mae"]!.GetValue<double>().Should().Be(json["mae"]!.GetValue<double>());

        var twice = await BenchJsonAsync("--data", Fixture("imo-gradingbench.csv"), "--judge", Judge("lenient"), "--db", "g.db", "--runs", "2");
        _server.RequestCount.Should().Be(8);
        twice["n"]!.GetValue<int>().Should().Be(8);
        twice["runs"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public async Task A_panel_config_combines_judges()
    {
        Judge("lenient"); Judge("strict");
        var panel = _dir.Write("panel.yaml", "judges: [lenient.yaml, strict.yaml]\ncombine: min\n");
        // ProofBench: human 7 0; lenient 7 2, strict 0 0 → min 0 0
        var json = await BenchJsonAsync("--data", Fixture("proofbench.jsonl"), "--judge", panel, "--db", "p.db");
        json["n"]!.GetValue<int>().Should().Be(2);
        json["judges"]!.GetValue<int>().Should().Be(2);
        json["combine"]!.GetValue<string>().Should().Be("min");
        json["mae"]!.GetValue<double>().Should().BeApproximately(7 / 2.0, 1e-12);
        _server.RequestCount.Should().Be(4);
    }

    [Fact]
    public async Task A_custom_prompt_is_used_and_MathArena_outputs_are_read()
    {
        var prompt = _dir.Write("my-prompt.md", "%% a note\nMY PROMPT. Problem: {{problem}}\nProof: {{proof}}\nScheme: {{marking_scheme}}\nEnd with <points>N out of 7</points>\n");
        // MathArena: human 7 and (0 + 1) / 2; judge 7 and 1
        var json = await BenchJsonAsync("--data", Fixture("matharena"), "--judge", Judge("lenient"), "--prompt", prompt, "--db", "m.db");
        json["n"]!.GetValue<int>().Should().Be(2);
        json["mae"]!.GetValue<double>().Should().BeApproximately((0 + 0.5) / 2, 1e-12);
        json["layout"]!.GetValue<string>().Should().Be("MathArena");
        _server.Requests.Should().OnlyContain(r => r.LastUserMessage!.StartsWith("MY PROMPT.") && !r.LastUserMessage.Contains("a note"));

        // without --json: a table, from the stored grades
        var table = await QedProcess.RunAsync(_dir.Path, null, Limit, "grader-bench", "--data", Fixture("matharena"), "--judge", Judge("lenient"), "--prompt", prompt, "--db", "m.db");
        table.ExitCode.Should().Be(0, table.StdErr);
        table.StdOut.Should().Contain("MAE (0-7)         0.250").And.Contain("0 graded now").And.Contain("Incorrect");
        _server.RequestCount.Should().Be(2);
    }

    [Fact]
    public async Task Bad_input_fails_with_file_line_and_field()
    {
        var bad = _dir.Write("bad.csv", "Grading ID,Problem ID,Problem,Solution,Grading guidelines,Response,Points,Reward\nG1,P1,Q,S,G,R,lots,Correct\n");
        var r = await QedProcess.RunAsync(_dir.Path, null, Limit, "grader-bench", "--data", bad, "--judge", Judge("lenient"), "--json");
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain("bad.csv:2").And.Contain("Points");
        _server.RequestCount.Should().Be(0);
    }
}
