using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qed.Testing;

namespace Qed.Cli.Tests;

/// <summary>`qed stats/grade/export/import` keep every number attributable to one run and one judge (issue 13).</summary>
public partial class StatsCliTests : IAsyncLifetime
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
        _server.Responder = Reply;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Solvers prove; judge "strict" gives odd problems 7 and even ones 1, "lenient" gives 6 to all,
    /// "mute" never writes a verdict.</summary>
    private static ScriptedReply Reply(RecordedRequest r)
    {
        var text = r.LastUserMessage ?? "";
        var n = int.Parse(ProblemNumber().Match(text).Groups[1].Value);
        var model = r.Json?["model"]?.GetValue<string>();
        if (text.Contains("<points>N out of 7</points>"))
            return model switch
            {
                "mute" => ScriptedReply.Text("I would rather not say."),
                "lenient" => ScriptedReply.Text("<points>6 out of 7</points>"),
                _ => ScriptedReply.Text($"<points>{(n % 2 == 1 ? 7 : 1)} out of 7</points>"),
            };
        return new ScriptedReply { Content = $"thinking</think>Proof {model}. {n} + {n} = {2 * n}. QED", CompletionTokens = 1000 + n };
    }

    private string Model(string name) => _dir.Write(name + ".yaml", $"""
        model: {name}
        base_url: {_server.BaseUrl}
        delimiters: ["</think>"]
        read_cost: 1
        write_cost: 4
        max_retries: 0
        timeout: 5
        """);

    private Task<QedResult> Qed(params string[] args) => QedProcess.RunAsync(_dir.Path, null, Limit, args);

    private async Task<JsonNode> Json(params string[] args)
    {
        var r = await Qed(args);
        r.ExitCode.Should().Be(0, r.StdErr);
        return JsonNode.Parse(r.StdOut)!;
    }

    [Fact]
    public async Task Two_runs_two_judges_and_a_panel_stay_apart()
    {
        // Run 1: solver-a graded by a panel of strict and lenient (min); run 2: solver-b graded by strict only.
        var e1 = await Qed("eval", "--bench", Bench, "--model", Model("solver-a"), "--judge", Model("strict"), "--judge", Model("lenient"),
            "--combine", "min", "--runs", "2", "--limit", "4", "--db", "s.db");
        e1.ExitCode.Should().Be(0, e1.StdErr);
        e1.StdErr.Should().Contain("graded 8/8");
        var e2 = await Qed("eval", "--bench", Bench, "--model", Model("solver-b"), "--judge", Model("strict"), "--runs", "2", "--limit", "4", "--db", "s.db");
        e2.ExitCode.Should().Be(0, e2.StdErr);
        // eval prints only its own run: solver-b's table has no solver-a and no lenient row.
        e2.StdOut.Should().Contain("solver-b").And.NotContain("solver-a").And.NotContain("lenient");

        var all = (await Json("stats", "--db", "s.db", "--json", "--all")).AsArray();
        all.Should().HaveCount(4); // solver-a × {strict, lenient, panel}, solver-b × strict
        JsonObject Row(string model, string judge) => all.Single(x => x!["model"]!.GetValue<string>() == model
            && x["judge"]!.GetValue<string>().StartsWith(judge, StringComparison.Ordinal))!.AsObject();
        var strictScore = 100.0 * (7 + 1 + 7 + 1) / 28;
        Row("solver-a", "strict")["score"]!.GetValue<double>().Should().BeApproximately(strictScore, 1e-9);
        Row("solver-a", "lenient")["score"]!.GetValue<double>().Should().BeApproximately(100.0 * 6 / 7, 1e-9);
        Row("solver-a", "panel-min")["score"]!.GetValue<double>().Should().BeApproximately(100.0 * (6 + 1 + 6 + 1) / 28, 1e-9);
        Row("solver-b", "strict")["complete"]!.GetValue<bool>().Should().BeTrue();
        foreach (var key in new[] { "run_id", "bench", "model", "scaffold", "judge", "protocol", "complete", "score_graded" })
            Row("solver-b", "strict").ContainsKey(key).Should().BeTrue(key);
        Row("solver-b", "strict")["protocol"]!.GetValue<string>().Should().Be("qed");

        // One (run, judge) is required for --json: several → exit 2 naming them and the flag that picks one.
        var ambiguous = await Qed("stats", "--db", "s.db", "--json");
        ambiguous.ExitCode.Should().Be(2);
        ambiguous.StdErr.Should().Contain("--judge").And.Contain("solver-a").And.Contain("--all");
        var one = (await Json("stats", "--db", "s.db", "--json", "--model", "solver-b")).AsObject();
        one["model"]!.GetValue<string>().Should().Be("solver-b");
        var byRun = (await Json("stats", "--db", "s.db", "--json", "--run", one["run_id"]!.GetValue<string>()[..10])).AsObject();
        byRun["run_id"]!.GetValue<string>().Should().Be(one["run_id"]!.GetValue<string>());
        (await Json("stats", "--db", "s.db", "--json", "--all", "--judge", "strict")).AsArray().Should().HaveCount(2);
        (await Json("stats", "--db", "s.db", "--json", "--all", "--scaffold", "none", "--bench", "proofs")).AsArray().Should().HaveCount(4);
        (await Qed("stats", "--db", "s.db", "--model", "nobody")).ExitCode.Should().Be(2);

        // A judge whose verdicts all fail: exit 3 saying so; the other judges' numbers do not move.
        var mute = await Qed("grade", "--db", "s.db", "--judge", Model("mute"), "--model", "solver-b");
        mute.ExitCode.Should().Be(3, mute.StdErr);
        mute.StdErr.Should().Contain("every verdict failed");
        var muteRow = (await Json("stats", "--db", "s.db", "--json", "--judge", "mute")).AsObject();
        muteRow["grade_failed"]!.GetValue<int>().Should().Be(8);
        muteRow["complete"]!.GetValue<bool>().Should().BeFalse();
        muteRow["score"]!.GetValue<double>().Should().Be(0);
        (await Json("stats", "--db", "s.db", "--json", "--model", "solver-b", "--judge", "strict"))["score"]!.GetValue<double>()
            .Should().BeApproximately(strictScore, 1e-9);
        // Rerunning a judge that already graded asks nothing.
        var before = _server.RequestCount;
        (await Qed("grade", "--db", "s.db", "--judge", Model("strict"))).ExitCode.Should().Be(0);
        _server.RequestCount.Should().Be(before);

        // The table: one row per (run, judge), each naming its judge.
        var table = await Qed("stats", "--db", "s.db");
        table.ExitCode.Should().Be(0, table.StdErr);
        table.StdOut.Should().Contain("panel-min").And.Contain("mute").And.Contain("lenient");

        // The report takes the same selection: only solver-b's run, and with --judge only that judge's grades.
        var report = await Qed("report", "--db", "s.db", "--out", "r.html", "--model", "solver-b");
        report.ExitCode.Should().Be(0, report.StdErr);
        var html = await File.ReadAllTextAsync(_dir.File("r.html"));
        html.Should().Contain("solver-b").And.NotContain("solver-a");
        (await Qed("report", "--db", "s.db", "--out", "l.html", "--judge", "lenient")).ExitCode.Should().Be(0);
        var lenient = await File.ReadAllTextAsync(_dir.File("l.html"));
        lenient.Should().Contain("solver-a").And.NotContain("solver-b");
        lenient.Should().Contain("85.7", "lenient's 6/7 on every sample, not the latest grade of another judge");
        (await Qed("report", "--db", "s.db", "--out", "n.html", "--model", "nobody")).ExitCode.Should().Be(2);
    }

    [Fact]
    public async Task Split_export_imports_back_with_the_same_numbers_and_read_only_commands_never_write()
    {
        (await Qed("eval", "--bench", Bench, "--model", Model("solver-a"), "--judge", Model("strict"), "--runs", "3", "--limit", "4", "--db", "x.db"))
            .ExitCode.Should().Be(0);
        var stats = (await Json("stats", "--db", "x.db", "--json")).AsObject();
        var export = await Qed("export", "--db", "x.db", "--out", "res/run.jsonl", "--split-runs");
        export.ExitCode.Should().Be(0, export.StdErr);
        foreach (var k in new[] { 0, 1, 2 }) File.Exists(_dir.File($"res/run-{k}.jsonl")).Should().BeTrue();
        Directory.GetFiles(_dir.File("res")).Should().HaveCount(3, "no temporary file is left behind");
        var row = JsonNode.Parse((await File.ReadAllLinesAsync(_dir.File("res/run-0.jsonl")))[0])!.AsObject();
        foreach (var key in new[] { "problem", "model_solution", "history", "cost_run", "grade", "schema_0", "grade_cost", "score",
                     "problem_id", "run_index", "status", "run_id", "model", "scaffold", "judge" })
            row.ContainsKey(key).Should().BeTrue(key);
        row["grade_cost"]!.AsObject().ContainsKey("input_tokens").Should().BeTrue();
        row["score"]!.GetValue<double>().Should().BeOneOf(7, 1);

        var import = await Qed("import", _dir.File("res"), "--db", "y.db");
        import.ExitCode.Should().Be(0, import.StdErr);
        var back = (await Json("stats", "--db", "y.db", "--json")).AsObject();
        back["score"]!.GetValue<double>().Should().BeApproximately(stats["score"]!.GetValue<double>(), 1e-9);
        back["per_run_scores"]!.ToJsonString().Should().Be(stats["per_run_scores"]!.ToJsonString());
        back["model"]!.GetValue<string>().Should().Be("solver-a");
        back["judge"]!.GetValue<string>().Should().Be("strict");

        var original = await Qed("stats", "--db", "y.db", "--like-original");
        original.ExitCode.Should().Be(0, original.StdErr);
        original.StdOut.Should().Contain("Overall").And.Contain("Std").And.Contain("Tok Sum/Run");

        // A 0-byte store stays 0 bytes; a missing one is not created.
        await File.WriteAllBytesAsync(_dir.File("empty.db"), []);
        var empty = await Qed("stats", "--db", "empty.db");
        empty.ExitCode.Should().Be(1);
        empty.StdErr.Should().Contain("empty file");
        new FileInfo(_dir.File("empty.db")).Length.Should().Be(0);
        (await Qed("export", "--db", "none.db", "--out", "n.jsonl")).ExitCode.Should().Be(1);
        File.Exists(_dir.File("none.db")).Should().BeFalse();
    }
}
