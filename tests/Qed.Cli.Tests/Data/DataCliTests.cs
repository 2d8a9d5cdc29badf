using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Qed.Testing;

namespace Qed.Cli.Tests.Data;

/// <summary>`qed data ...` as a user runs it: real processes, real files, a loopback OpenAI-compatible server.</summary>
public class DataCliTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "data", name);

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private Task<QedResult> Qed(params string[] args) => QedProcess.RunAsync(_dir.Path, null, Limit, args);

    private string ModelYaml() => _dir.Write("teacher.yaml", $"model: teacher\nbase_url: {_server.BaseUrl}\ndelimiters: [\"</think>\"]\nmax_retries: 2\n");

    private static List<JsonObject> Lines(string path) =>
        File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    private string Problems(int count)
    {
        var lines = Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = $"p{i}", ["problem"] = $"Problem {i}: prove it." }.ToJsonString());
        return _dir.Write("problems.jsonl", string.Join('\n', lines) + "\n");
    }

    [Fact]
    public async Task Decontaminate_reports_hits_with_benchmark_ids_and_keeps_clean_items()
    {
        var r = await Qed("data", "decontaminate", "--in", Fixture("candidates.jsonl"), "--against", Fixture("mini-bench.jsonl"),
            "--out", "clean.jsonl", "--report", "report.json");

        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdOut.Should().Contain("4 removed");
        Lines(_dir.File("clean.jsonl")).Select(o => o["id"]!.GetValue<string>()).Should().Equal("clean-1", "clean-2", "clean-3");
        var report = JsonNode.Parse(File.ReadAllText(_dir.File("report.json")))!;
        report["hits"]!.AsArray().Select(h => h!["benchmark_id"]!.GetValue<string>()).Should().BeEquivalentTo("MINI-001", "MINI-002", "MINI-003", "MINI-004");
    }

    [Fact]
    public async Task Dedup_and_a_bad_input_line_named_in_one_line_on_stderr()
    {
        var input = _dir.Write("in.jsonl", "{\"problem\": \"Prove that every tree on n vertices has exactly n - 1 edges, by induction on n.\"}\n" +
            "{\"problem\": \"Prove that every tree on n vertices has exactly n - 1 edges, by induction on n.\"}\n{\"problem\": \"Another one.\"}\n");
        var ok = await Qed("data", "dedup", "--in", input, "--out", "out.csv", "--threshold", "0.8");
        ok.ExitCode.Should().Be(0, ok.StdErr);
        ok.StdOut.Should().Contain("1 near-duplicates removed");
        File.ReadAllLines(_dir.File("out.csv")).Should().HaveCount(3, "a header and two rows");

        var bad = _dir.Write("bad.jsonl", "{\"problem\": \"x\"}\n{oops\n");
        var failed = await Qed("data", "dedup", "--in", bad, "--out", "never.jsonl");
        failed.ExitCode.Should().Be(1);
        failed.StdErr.Trim().Should().StartWith($"qed dedup: {bad}:2: not valid JSON");
        File.Exists(_dir.File("never.jsonl")).Should().BeFalse();
    }

    [Fact]
    public async Task Generate_killed_with_sigkill_resumes_without_repeating_finished_requests()
    {
        var asked = new ConcurrentQueue<(DateTime At, string User)>();
        _server.Responder = req =>
        {
            asked.Enqueue((DateTime.UtcNow, req.LastUserMessage!));
            return ScriptedReply.Text("Proof. " + req.LastUserMessage, reasoning: "hmm") with { Delay = TimeSpan.FromMilliseconds(150) };
        };
        var input = Problems(20);
        string[] args = ["data", "generate", "--in", input, "--model", ModelYaml(), "--out", "gen.jsonl", "--requests-per-prompt", "2", "--concurrency", "4"];

        using (var p = QedProcess.Start(_dir.Path, null, args))
        {
            var clock = Stopwatch.StartNew();
            while (asked.Count < 12 && clock.Elapsed < Limit) await Task.Delay(20);
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }
        var killedAt = DateTime.UtcNow;
        File.Exists(_dir.File("gen.jsonl")).Should().BeFalse("the output appears only when complete");
        var journaled = Lines(_dir.File("gen.jsonl.partial.jsonl"))
            .Select(o => $"{o["index"]}:{o["request_idx"]}").ToHashSet();
        journaled.Should().NotBeEmpty().And.HaveCountLessThan(40);

        var resumed = await QedProcess.RunAsync(_dir.Path, null, Limit, args);

        resumed.ExitCode.Should().Be(0, resumed.StdErr);
        resumed.StdOut.Should().Contain($"{journaled.Count} already done");
        var rows = Lines(_dir.File("gen.jsonl"));
        rows.Select(o => $"{o["index"]}:{o["request_idx"]}").Should().Equal(
            Enumerable.Range(0, 20).SelectMany(i => new[] { $"{i}:0", $"{i}:1" }));
        rows.Should().OnlyContain(o => o["completion"]!.GetValue<string>().StartsWith("Proof.") && o["reasoning"]!.GetValue<string>() == "hmm");
        asked.Count(a => a.At > killedAt).Should().Be(40 - journaled.Count, "finished requests are not sent again");
        File.Exists(_dir.File("gen.jsonl.partial.jsonl")).Should().BeFalse();
    }

    [Fact]
    public async Task Grade_filter_rubrics_and_build_sft_run_end_to_end()
    {
        _server.Responder = req =>
        {
            var user = req.LastUserMessage!;
            if (user.Contains("<points>N out of 7</points>")) return ScriptedReply.Text("Sound. <points>7 out of 7</points>");
            if (user.Contains("\"computational\"")) return ScriptedReply.Text("{\"incomplete\": false, \"difficulty\": 3, \"gaps\": false, \"wrong\": false, \"disagreement\": false, \"computational\": false}");
            if (user.Contains("\"checkpoints\"")) return ScriptedReply.Text("{\"checkpoints\": [{\"description\": \"all of it\", \"points\": 7}], \"zero_credit\": [], \"deductions\": []}");
            return ScriptedReply.Text("Proof. Clear.", reasoning: "thinking");
        };
        var model = ModelYaml();
        var problems = _dir.Write("problems.jsonl",
            "{\"problem_id\": \"a\", \"problem\": \"Problem 1: prove A.\", \"solution\": \"Because A.\"}\n" +
            "{\"problem_id\": \"b\", \"problem\": \"Problem 2: prove B.\", \"solution\": \"Because B.\"}\n");

        (await Qed("data", "filter", "--in", problems, "--model", model, "--out", "filtered.jsonl")).ExitCode.Should().Be(0);
        Lines(_dir.File("filtered.jsonl")).Should().OnlyContain(o => o["difficulty"]!.GetValue<int>() == 3 && o["filter_status"]!.GetValue<string>() == "ok");

        (await Qed("data", "rubrics", "--in", problems, "--model", model, "--out", "rubrics.jsonl")).ExitCode.Should().Be(0);
        Lines(_dir.File("rubrics.jsonl")).Should().OnlyContain(o => o["rubric_points"]!.GetValue<int>() == 7 && o["rubric_status"]!.GetValue<string>() == "ok");

        var gen = await Qed("data", "generate", "--in", problems, "--model", model, "--out", "gen.jsonl", "--requests-per-prompt", "2");
        gen.ExitCode.Should().Be(0, gen.StdErr);
        var grade = await Qed("data", "grade", "--in", "gen.jsonl", "--judge", model, "--out", "graded.jsonl");
        grade.ExitCode.Should().Be(0, grade.StdErr);
        Lines(_dir.File("graded.jsonl")).Should().OnlyContain(o => o["points"]!.GetValue<double>() == 7 && o["verdict"] != null);

        var sft = await Qed("data", "build-sft", "--in", "graded.jsonl", "--min-points", "7", "--out", "sft.parquet");
        sft.ExitCode.Should().Be(0, sft.StdErr);
        sft.StdOut.Should().Contain("2 written", "the two proofs of each problem are identical, so one per problem remains");
        File.Exists(_dir.File("sft.parquet")).Should().BeTrue();
    }
}
