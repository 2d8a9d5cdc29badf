using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Cli.Tests;

/// <summary>`qed eval/run/grade/stats/export` as a user runs them, against a loopback OpenAI-compatible server.</summary>
public partial class EvalCliTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static string Bench => Path.Combine(RepoPaths.Fixtures, "benchmarks", "proofs.csv");

    [GeneratedRegex(@"Problem (\d+):")]
    private static partial Regex ProblemNumber();

    public async Task InitializeAsync()
    {
        _server = await LoopbackChatServer.StartAsync();
        _server.Responder = Deterministic;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Solver replies think then prove; the judge gives odd-numbered problems 7 points and even ones 1.</summary>
    private static ScriptedReply Deterministic(RecordedRequest r)
    {
        var text = r.LastUserMessage ?? "";
        var n = int.Parse(ProblemNumber().Match(text).Groups[1].Value);
        if (text.Contains("<points>N out of 7</points>"))
            return new ScriptedReply { Content = $"The proof is checked.\n<points>{(n % 2 == 1 ? 7 : 1)} out of 7</points>", PromptTokens = 300, CompletionTokens = 20 };
        return new ScriptedReply { Content = $"Let me think about problem {n}.</think>\n\nProof. {n} + {n} = {2 * n} by definition. QED", CompletionTokens = 1000 + n };
    }

    private string ModelYaml(string name, string extra = "", string? baseUrl = null) => _dir.Write(name + ".yaml", $"""
        model: {name}
        base_url: {baseUrl ?? _server.BaseUrl}
        delimiters: ["</think>"]
        read_cost: 1
        write_cost: 4
        max_retries: 3
        timeout: 2
        {extra}
        """);

    private Task<QedResult> Qed(params string[] args) => QedProcess.RunAsync(_dir.Path, null, Limit, args);

    private async Task<JsonObject> StatsAsync(string db)
    {
        var r = await Qed("stats", "--db", db, "--json");
        r.ExitCode.Should().Be(0, r.StdErr);
        return JsonNode.Parse(r.StdOut)!.AsObject();
    }

    [Fact]
    public async Task Eval_solves_grades_scores_and_exports()
    {
        var r = await Qed("eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", ModelYaml("judge"),
            "--runs", "2", "--limit", "4", "--db", "e.db", "--out", "out.jsonl");
        r.ExitCode.Should().Be(0, r.StdErr);

        var stats = await StatsAsync("e.db");
        stats["problems"]!.GetValue<int>().Should().Be(4);
        stats["runs"]!.GetValue<int>().Should().Be(2);
        // problems 1,3 get 7/7, problems 2,4 get 1/7 → (100 + 100 + 14.29 + 14.29) / 4
        stats["score"]!.GetValue<double>().Should().BeApproximately(100.0 * (7 + 1 + 7 + 1) / 28, 1e-9);
        stats["score_std"]!.GetValue<double>().Should().Be(0);
        stats["failed"]!.GetValue<int>().Should().Be(0);
        stats["truncated"]!.GetValue<int>().Should().Be(0);
        stats["output_tokens_mean"]!.GetValue<double>().Should().Be(1000 + 2.5);
        stats["by_level"]!["IMO-medium"]!.GetValue<double>().Should().Be(100); // odd problems
        stats["by_category"]!.AsObject().Count.Should().Be(3);
        var solveCost = 8 * (100 * 1 + 1002.5 * 4) / 1e6;
        var gradeCost = 8 * (300 * 1 + 20 * 4) / 1e6;
        stats["cost_usd"]!.GetValue<double>().Should().BeApproximately(solveCost + gradeCost, 1e-9);

        var rows = (await File.ReadAllLinesAsync(_dir.File("out.jsonl"))).Select(l => JsonNode.Parse(l)!).ToList();
        rows.Should().HaveCount(8);
        var first = rows.First(x => x["problem_id"]!.GetValue<string>() == "T-001");
        first["model_solution"]!.GetValue<string>().Should().Be("Proof. 1 + 1 = 2 by definition. QED");
        first["status"]!.GetValue<string>().Should().Be("ok");
        first["score"]!.GetValue<double>().Should().Be(7, "points out of 7, as the original harness writes");
        first["grade"]![0]!["points"]!.GetValue<double>().Should().Be(7);
        first["cost_run"]!["output_tokens"]!.GetValue<long>().Should().Be(1001);
        first["schema_0"]![0]!["desc"]!.GetValue<string>().Should().Contain("(Partial)");
        first["history"]![0]!["reasoning"]!.GetValue<string>().Should().Be("Let me think about problem 1.");
        foreach (var key in new[] { "problem", "model_solution", "history", "cost_run", "grade", "schema_0", "grade_cost", "score", "problem_id", "run_index", "status" })
            first.AsObject().ContainsKey(key).Should().BeTrue(key);

        // The judge saw the final proof, not the thinking.
        _server.Requests.Where(q => q.LastUserMessage!.Contains("<points>N out of 7</points>"))
            .Should().OnlyContain(q => !q.LastUserMessage!.Contains("Let me think"));

        // Rerunning resumes: nothing is requested again.
        var before = _server.RequestCount;
        (await Qed("eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", ModelYaml("judge"),
            "--runs", "2", "--limit", "4", "--db", "e.db")).ExitCode.Should().Be(0);
        _server.RequestCount.Should().Be(before);

        var parquet = await Qed("export", "--db", "e.db", "--out", "out.parquet");
        parquet.ExitCode.Should().Be(0, parquet.StdErr);
        new FileInfo(_dir.File("out.parquet")).Length.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task Streaming_reasoning_fields_and_faults_are_survived_and_recorded()
    {
        _server.Enqueue(
            ScriptedReply.Error(429, retryAfter: TimeSpan.FromSeconds(1)),
            ScriptedReply.Error(500),
            new ScriptedReply { Delay = TimeSpan.FromSeconds(4), Content = "too late" },
            ScriptedReply.TruncatedThinking());
        var r = await Qed("run", "--bench", Bench, "--model", ModelYaml("solver", "stream: true"), "--limit", "3",
            "--db", "f.db", "--concurrency", "1");
        r.ExitCode.Should().Be(0, r.StdErr);
        // First sample: 429, 500, timeout, then a reply cut inside its thinking → truncated, not an empty proof.
        await using var store = await RunStore.OpenAsync(_dir.File("f.db"));
        var samples = await store.ListSamplesAsync();
        samples.Should().HaveCount(3);
        samples.Count(s => s.Status == SampleStatus.Truncated).Should().Be(1);
        samples.Count(s => s.Status == SampleStatus.Ok).Should().Be(2);
        samples.Where(s => s.Status == SampleStatus.Ok).Should().OnlyContain(s => s.Answer!.StartsWith("Proof."));
        _server.Requests.Should().OnlyContain(q => q.Json!["stream"]!.GetValue<bool>());

        _server.Enqueue(new ScriptedReply { Content = "Proof by reasoning field.", Reasoning = "hidden thoughts", ReasoningField = "reasoning" });
        (await Qed("run", "--bench", Bench, "--model", ModelYaml("solver"), "--problems", "T-007", "--db", "g.db")).ExitCode.Should().Be(0);
        await using var g = await RunStore.OpenAsync(_dir.File("g.db"));
        var only = (await g.ListSamplesAsync()).Single();
        only.Answer.Should().Be("Proof by reasoning field.");
        only.Reasoning.Should().Be("hidden thoughts");
    }

    [Fact]
    public async Task Kill_9_mid_run_then_resume_repeats_nothing_and_matches_an_uninterrupted_run()
    {
        var solverRequests = new System.Collections.Concurrent.ConcurrentQueue<(DateTime At, int Problem)>();
        _server.Responder = req =>
        {
            var reply = Deterministic(req);
            if (!req.LastUserMessage!.Contains("<points>"))
            {
                solverRequests.Enqueue((DateTime.UtcNow, int.Parse(ProblemNumber().Match(req.LastUserMessage).Groups[1].Value)));
                return reply with { Delay = TimeSpan.FromMilliseconds(250) };
            }
            return reply;
        };
        var model = ModelYaml("solver");
        var judge = ModelYaml("judge");
        string[] Args(string db) => ["eval", "--bench", Bench, "--model", model, "--judge", judge, "--db", db, "--concurrency", "2"];

        using (var p = QedProcess.Start(_dir.Path, null, Args("k.db")))
        {
            var clock = Stopwatch.StartNew();
            while (solverRequests.Count < 5 && clock.Elapsed < Limit) await Task.Delay(20);
            p.Kill(entireProcessTree: true); // SIGKILL: no cleanup runs
            await p.WaitForExitAsync();
        }
        var killedAt = DateTime.UtcNow;
        HashSet<string> finishedBefore;
        await using (var store = await RunStore.OpenAsync(_dir.File("k.db")))
            finishedBefore = (await store.ListSamplesAsync()).Where(s => s.Status.IsFinished()).Select(s => s.ProblemId).ToHashSet();
        finishedBefore.Should().NotBeEmpty().And.HaveCountLessThan(12);

        var resumed = await QedProcess.RunAsync(_dir.Path, null, Limit, Args("k.db"));
        resumed.ExitCode.Should().Be(0, resumed.StdErr);
        var requestedAfter = solverRequests.Where(x => x.At > killedAt).Select(x => $"T-{x.Problem:000}").ToList();
        requestedAfter.Should().NotIntersectWith(finishedBefore);
        requestedAfter.Should().OnlyHaveUniqueItems();

        var straight = await QedProcess.RunAsync(_dir.Path, null, Limit, Args("u.db"));
        straight.ExitCode.Should().Be(0, straight.StdErr);
        var a = await StatsAsync("k.db");
        var b = await StatsAsync("u.db");
        a.ToJsonString().Should().Be(b.ToJsonString());
        a["problems"]!.GetValue<int>().Should().Be(12);
        a["graded"]!.GetValue<int>().Should().Be(12);
    }

    [Fact]
    public async Task Run_then_grade_in_answer_mode_lets_the_symbolic_checker_decide()
    {
        _server.Responder = _ => ScriptedReply.Text(@"Counting gives \boxed{2}.");
        var bench = Path.Combine(RepoPaths.Fixtures, "benchmarks", "mini.csv");
        (await Qed("run", "--bench", bench, "--model", ModelYaml("solver"), "--db", "a.db")).ExitCode.Should().Be(0);
        _server.RequestCount.Should().Be(2);
        var g = await Qed("grade", "--db", "a.db", "--judge", ModelYaml("judge"));
        g.ExitCode.Should().Be(0, g.StdErr);
        _server.RequestCount.Should().Be(2); // both answers decided without the judge
        var stats = await StatsAsync("a.db");
        stats["score"]!.GetValue<double>().Should().Be(100);
        stats["graded"]!.GetValue<int>().Should().Be(2);
    }

    [Fact]
    public async Task A_missing_key_fails_before_any_request()
    {
        var r = await QedProcess.RunAsync(_dir.Path, new Dictionary<string, string?> { ["QED_TEST_UNSET_KEY"] = null }, Limit,
            "eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", ModelYaml("judge", "api_key_env: QED_TEST_UNSET_KEY"), "--db", "m.db");
        r.ExitCode.Should().NotBe(0);
        r.StdErr.Should().Contain("QED_TEST_UNSET_KEY");
        r.StdErr.Trim().Split('\n').Last().Should().StartWith("qed eval:");
        _server.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task An_unreachable_endpoint_fails_within_seconds_naming_the_url()
    {
        var clock = Stopwatch.StartNew();
        var r = await Qed("run", "--bench", Bench, "--model", ModelYaml("dead", baseUrl: "http://127.0.0.1:9/v1"), "--db", "d.db", "--limit", "2");
        r.ExitCode.Should().NotBe(0);
        r.StdErr.Should().Contain("http://127.0.0.1:9/v1");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Malformed_config_names_file_line_and_field_and_help_lists_the_commands()
    {
        var bad = _dir.Write("bad.yaml", $"model: m\nbase_url: {_server.BaseUrl}\ntemperature: hot\n");
        var r = await Qed("run", "--bench", Bench, "--model", bad, "--db", "b.db");
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain("bad.yaml:3: field 'temperature'");

        var help = await Qed("--help");
        help.ExitCode.Should().Be(0);
        foreach (var c in new[] { "eval", "run", "grade", "stats", "export" }) help.StdOut.Should().Contain(c);
    }
}

public partial class EvalCliStopTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static string Bench => Path.Combine(RepoPaths.Fixtures, "benchmarks", "proofs.csv");

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync(_ => new ScriptedReply
    {
        Content = "thinking</think>Proof. QED", PromptTokens = 100, CompletionTokens = 1000, Delay = TimeSpan.FromMilliseconds(100),
    });

    public async Task DisposeAsync() { await _server.DisposeAsync(); _dir.Dispose(); }

    private string Model() => _dir.Write("m.yaml", $"model: m\nbase_url: {_server.BaseUrl}\ndelimiters: [\"</think>\"]\nread_cost: 1\nwrite_cost: 4\n");

    private async Task<JsonObject> StatsAsync(string db)
    {
        var r = await QedProcess.RunAsync(_dir.Path, null, Limit, "stats", "--db", db, "--json");
        r.ExitCode.Should().Be(0, r.StdErr);
        return JsonNode.Parse(r.StdOut)!.AsObject();
    }

    [Fact]
    public async Task Max_cost_stops_cleanly_and_a_rerun_finishes()
    {
        // Each sample costs (100·1 + 1000·4) / 1e6 = $0.0041.
        var r = await QedProcess.RunAsync(_dir.Path, null, Limit, "run", "--bench", Bench, "--model", Model(), "--db", "c.db",
            "--concurrency", "1", "--max-cost", "0.01");
        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdErr.Should().Contain("--max-cost");
        var stats = await StatsAsync("c.db");
        stats["pending"]!.GetValue<int>().Should().Be(12 - 3);
        stats["cost_usd"]!.GetValue<double>().Should().BeApproximately(3 * 0.0041, 1e-9);

        (await QedProcess.RunAsync(_dir.Path, null, Limit, "run", "--bench", Bench, "--model", Model(), "--db", "c.db")).ExitCode.Should().Be(0);
        (await StatsAsync("c.db"))["pending"]!.GetValue<int>().Should().Be(0);
        _server.RequestCount.Should().Be(12);
    }

    [Fact]
    public async Task A_shipped_scaffold_runs_through_the_same_runner_and_resumes()
    {
        var r = await QedProcess.RunAsync(_dir.Path, null, Limit, "run", "--bench", Bench, "--model", Model(), "--scaffold", "reasoning-cache",
            "--limit", "2", "--db", "s.db");
        r.ExitCode.Should().Be(0, r.StdErr);
        _server.RequestCount.Should().Be(2 * 5); // n_iterations 3: solve, summarise, solve, summarise, solve
        await using (var store = await RunStore.OpenAsync(_dir.File("s.db")))
            foreach (var sample in await store.ListSamplesAsync())
            {
                sample.Status.Should().Be(SampleStatus.Ok);
                (await store.ListStepsAsync(sample.SampleId)).Should().HaveCount(5);
            }
        (await QedProcess.RunAsync(_dir.Path, null, Limit, "run", "--bench", Bench, "--model", Model(), "--scaffold", "reasoning-cache",
            "--limit", "2", "--db", "s.db")).ExitCode.Should().Be(0);
        _server.RequestCount.Should().Be(10);
    }

    [Fact]
    public async Task Ctrl_c_stops_cleanly_and_leaves_a_resumable_store()
    {
        using (var p = QedProcess.Start(_dir.Path, null, "run", "--bench", Bench, "--model", Model(), "--db", "i.db", "--concurrency", "1"))
        {
            var stderr = p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (_server.RequestCount < 3 && clock.Elapsed < Limit) await Task.Delay(20);
            using (var kill = Process.Start("kill", ["-INT", p.Id.ToString()])) await kill!.WaitForExitAsync();
            await p.WaitForExitAsync();
            p.ExitCode.Should().Be(130, await stderr);
            (await stderr).Should().Contain("resume");
        }
        var before = (await StatsAsync("i.db"))["pending"]!.GetValue<int>();
        before.Should().BeGreaterThan(0);
        var resumed = await QedProcess.RunAsync(_dir.Path, null, Limit, "run", "--bench", Bench, "--model", Model(), "--db", "i.db");
        resumed.ExitCode.Should().Be(0, resumed.StdErr);
        (await StatsAsync("i.db"))["pending"]!.GetValue<int>().Should().Be(0);
        // Every sample was requested once, except at most the one in flight at Ctrl-C.
        _server.RequestCount.Should().BeInRange(12, 13);
    }
}
