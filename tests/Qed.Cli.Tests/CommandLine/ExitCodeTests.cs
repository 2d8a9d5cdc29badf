using System.Text.RegularExpressions;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Cli.Tests.CommandLine;

/// <summary>The exit-code table (docs/cli.md): 0 success, 1 runtime failure, 2 usage error, 3 finished with failed samples
/// or grades. Usage errors start nothing: no request reaches the loopback server.</summary>
public sealed partial class ExitCodeTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static string Bench => Path.Combine(RepoPaths.Fixtures, "benchmarks", "proofs.csv");

    [GeneratedRegex(@"Problem (\d+):")]
    private static partial Regex ProblemNumber();

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private string Model(string name) => _dir.Write(name + ".yaml", $"""
        model: {name}
        base_url: {_server.BaseUrl}
        delimiters: ["</think>"]
        max_retries: 0
        timeout: 5
        """);

    private Task<QedResult> Qed(params string[] args) => QedProcess.RunAsync(_dir.Path, null, Limit, args);

    private static int Problem(RecordedRequest r) => int.Parse(ProblemNumber().Match(r.LastUserMessage ?? "").Groups[1].Value);

    /// <summary>Even-numbered problems are refused by the endpoint (a 400 is not retried); the judge accepts every proof.</summary>
    private ScriptedReply HalfRefused(RecordedRequest r)
    {
        if (r.LastUserMessage!.Contains("<points>N out of 7</points>")) return ScriptedReply.Text("Fine.\n<points>7 out of 7</points>");
        return Problem(r) % 2 == 0 ? ScriptedReply.Error(400) : ScriptedReply.Text("thinking</think>Proof. QED");
    }

    [Fact]
    public async Task Run_and_eval_with_failed_samples_exit_3_and_a_clean_run_exits_0()
    {
        _server.Responder = HalfRefused;
        var run = await Qed("run", "--bench", Bench, "--model", Model("solver"), "--limit", "4", "--db", "r.db");
        run.ExitCode.Should().Be(3, run.StdErr);
        run.StdErr.Should().Contain("2 samples failed");

        var eval = await Qed("eval", "--bench", Bench, "--model", Model("solver"), "--judge", Model("judge"), "--limit", "4", "--db", "e.db");
        eval.ExitCode.Should().Be(3, eval.StdErr);

        _server.Responder = r => r.LastUserMessage!.Contains("<points>N out of 7</points>")
            ? ScriptedReply.Text("Fine.\n<points>7 out of 7</points>") : ScriptedReply.Text("thinking</think>Proof. QED");
        var clean = await Qed("eval", "--bench", Bench, "--model", Model("solver"), "--judge", Model("judge"), "--limit", "2", "--db", "c.db");
        clean.ExitCode.Should().Be(0, clean.StdErr);
        var again = await Qed("eval", "--bench", Bench, "--model", Model("solver"), "--judge", Model("judge"), "--limit", "4", "--db", "e.db");
        again.ExitCode.Should().Be(0, "the rerun retried the failed samples and they succeeded: " + again.StdErr);
    }

    [Fact]
    public async Task Grade_with_failed_grades_exits_3()
    {
        _server.Responder = r => r.LastUserMessage!.Contains("<points>N out of 7</points>")
            ? ScriptedReply.Text("I cannot decide.") : ScriptedReply.Text("thinking</think>Proof. QED");
        (await Qed("run", "--bench", Bench, "--model", Model("solver"), "--limit", "2", "--db", "g.db")).ExitCode.Should().Be(0);
        var grade = await Qed("grade", "--db", "g.db", "--judge", Model("judge"));
        grade.ExitCode.Should().Be(3, grade.StdErr);
        grade.StdErr.Should().Contain("2 grade_failed");
    }

    [Theory]
    [InlineData("--concurrency", "0", "--concurrency must be at least 1")]
    [InlineData("--concurrency", "-4", "--concurrency must be at least 1")]
    [InlineData("--max-cost", "-1", "--max-cost must be 0 or more")]
    [InlineData("--max-cost", "NaN", "--max-cost must be a finite number")]
    [InlineData("--runs", "abc", "--runs: 'abc' is not a whole number")]
    [InlineData("--runs", "0", "--runs must be at least 1")]
    [InlineData("--limit", "0", "--limit must be at least 1")]
    [InlineData("--max-cost", "cheap", "--max-cost: 'cheap' is not a number")]
    public async Task Bad_option_values_are_usage_errors_with_the_error_first_and_one_usage_line(string option, string value, string error)
    {
        var r = await Qed("run", "--bench", Bench, "--model", Model("solver"), "--db", "u.db", option, value);
        r.ExitCode.Should().Be(2);
        var lines = r.StdErr.Trim().Split('\n');
        lines[0].Should().StartWith($"qed run: {error}");
        lines.Should().HaveCount(2, "the error, then one usage line: " + r.StdErr);
        lines[1].Should().StartWith("usage: qed run --bench <bench> --model <model> [options]").And.Contain("qed run --help");
        r.StdErr.Should().NotContain("System.").And.NotContain("Options:");
        _server.RequestCount.Should().Be(0);
        File.Exists(_dir.File("u.db")).Should().BeFalse("a usage error starts nothing");
    }

    [Theory]
    [InlineData(new[] { "evl" }, "unknown command 'evl'; did you mean 'eval'?")]
    [InlineData(new[] { "stat" }, "unknown command 'stat'; did you mean 'stats'?")]
    [InlineData(new[] { "reprot" }, "unknown command 'reprot'; did you mean 'report'?")]
    [InlineData(new[] { "data", "dedupe" }, "unknown command 'dedupe'; did you mean 'dedup'?")]
    [InlineData(new[] { "stats", "--jsn" }, "unknown option '--jsn'; did you mean '--json'?")]
    public async Task An_unknown_command_or_option_suggests_the_nearest(string[] args, string message)
    {
        var r = await Qed(args);
        r.ExitCode.Should().Be(2);
        r.StdErr.Split('\n')[0].Should().EndWith(message);
        r.StdErr.Should().Contain("usage: qed");
    }

    [Fact]
    public async Task Help_lists_the_exit_code_table()
    {
        var help = await Qed("--help");
        help.ExitCode.Should().Be(0);
        help.StdOut.Should().Contain("Exit codes").And.Contain("2    usage error").And.Contain("3    finished, but some samples or grades failed");
        var none = await Qed();
        none.ExitCode.Should().Be(2, "no command is a usage error");
    }

    [Fact]
    public async Task A_missing_store_is_a_runtime_failure()
    {
        var r = await Qed("stats", "--db", "none.db");
        r.ExitCode.Should().Be(1);
        r.StdErr.Trim().Should().StartWith("qed stats: none.db: no run store here");
    }
}
