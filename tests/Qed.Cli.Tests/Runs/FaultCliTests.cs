using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Cli.Tests.Runs;

/// <summary>
/// Issue 15 as a user meets it: several `qed eval` processes on one store, a key the server echoes, a base_url
/// without /v1, a 200 MB row and invalid UTF-8 — each against a loopback server that counts requests.
/// </summary>
public class FaultCliTests : IAsyncLifetime
{
    private const string Key = "sk-proj-7d41c0ffee99";
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private static string Bench => Path.Combine(RepoPaths.Fixtures, "benchmarks", "proofs.csv");

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private string ModelYaml(string name, string extra = "", string? baseUrl = null) => _dir.Write(name + ".yaml", $"""
        model: {name}
        base_url: {baseUrl ?? _server.BaseUrl}
        delimiters: ["</think>"]
        read_cost: 1
        write_cost: 4
        max_retries: 0
        timeout: 20
        {extra}
        """);

    private Task<QedResult> Qed(IReadOnlyDictionary<string, string?>? env, params string[] args) => QedProcess.RunAsync(_dir.Path, env, Limit, args);

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Processes_sharing_one_store_send_each_request_once_and_pay_once(int processes)
    {
        // Slow enough that the processes overlap; the judge is faster than the solver.
        _server.Responder = r => (r.LastUserMessage ?? "").Contains("<points>N out of 7</points>")
            ? new ScriptedReply { Content = "Checked.\n<points>7 out of 7</points>", PromptTokens = 300, CompletionTokens = 20, Delay = TimeSpan.FromMilliseconds(20) }
            : new ScriptedReply { Content = "Let me think.</think>\n\nProof. It holds. QED", CompletionTokens = 1000, Delay = TimeSpan.FromMilliseconds(150) };
        var solver = ModelYaml("solver");
        var judge = ModelYaml("judge");
        var runs = await Task.WhenAll(Enumerable.Range(0, processes).Select(_ => Qed(null,
            "eval", "--bench", Bench, "--model", solver, "--judge", judge, "--runs", "2", "--limit", "4", "--db", "same.db", "--concurrency", "8")));
        foreach (var r in runs) r.ExitCode.Should().Be(0, r.StdErr);

        // 4 problems × 2 runs: 8 solver requests and 8 judge requests in total, whatever the number of processes.
        _server.RequestCount.Should().Be(16);
        await using var store = await RunStore.OpenAsync(_dir.File("same.db"));
        var samples = await store.ListSamplesAsync();
        samples.Should().HaveCount(8).And.OnlyContain(s => s.Status == SampleStatus.Ok && s.Usage.Calls == 1);
        (await store.ListGradesAsync()).Should().HaveCount(8);
        var expected = 8 * (100 * 1 + 1000 * 4) / 1e6 + 8 * (300 * 1 + 20 * 4) / 1e6;
        (await store.TotalCostAsync()).Should().BeApproximately(expected, 1e-12, "cost_usd counts each request once");
        var stats = JsonNode.Parse((await Qed(null, "stats", "--db", "same.db", "--json")).StdOut)!;
        stats["cost_usd"]!.GetValue<double>().Should().BeApproximately(expected, 1e-9);
    }

    [Fact]
    public async Task A_key_the_server_echoes_is_redacted_from_store_stderr_and_request_log()
    {
        _server.Responder = r => new ScriptedReply
        {
            Status = r.LastUserMessage!.Contains("Problem 1:") ? 401 : 400,
            RawBody = new JsonObject { ["error"] = new JsonObject { ["message"] = $"bad request for key {r.Headers["Authorization"]}" } }.ToJsonString(),
        };
        var env = new Dictionary<string, string?> { ["QED_FAULT_KEY"] = Key, ["QED_REQUEST_LOG"] = _dir.File("requests.jsonl") };
        var model = ModelYaml("keyed", "api_key_env: QED_FAULT_KEY");

        var failed = await Qed(env, "run", "--bench", Bench, "--model", model, "--problems", "T-002,T-003", "--db", "k.db");
        failed.StdErr.Should().Contain("2 samples failed");
        var refused = await Qed(env, "run", "--bench", Bench, "--model", model, "--limit", "1", "--db", "k.db");

        _server.Requests.Should().OnlyContain(r => r.Headers["Authorization"] == "Bearer " + Key, "the key is still sent");
        refused.ExitCode.Should().Be(1);
        refused.StdErr.Should().Contain("refused the API key").And.Contain("[redacted]");
        foreach (var text in new[] { failed.StdErr, failed.StdOut, refused.StdErr, refused.StdOut, await File.ReadAllTextAsync(_dir.File("requests.jsonl")) })
            text.Should().NotContain(Key);
        await using var store = await RunStore.OpenAsync(_dir.File("k.db"));
        var errors = (await store.ListSamplesAsync()).Select(s => s.Error).Where(e => e is not null).ToList();
        errors.Should().NotBeEmpty().And.OnlyContain(e => e!.Contains("[redacted]") && !e.Contains(Key));
    }

    [Fact]
    public async Task A_base_url_without_v1_stops_the_run_at_once_naming_the_url()
    {
        var root = _server.BaseUrl[..^"/v1".Length];
        var r = await Qed(null, "run", "--bench", Bench, "--model", ModelYaml("nov1", baseUrl: root), "--limit", "4", "--db", "n.db", "--concurrency", "1");
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain(root + "/chat/completions").And.Contain("404").And.Contain("base_url");
        r.StdErr.Should().NotContain("   at ");
        await using var store = await RunStore.OpenAsync(_dir.File("n.db"));
        (await store.ListSamplesAsync()).Count(s => s.Status == SampleStatus.Failed).Should().Be(1, "the first 404 stops the run");
    }

    [Fact]
    public async Task A_judge_base_url_without_v1_stops_grading_naming_the_url()
    {
        var root = _server.BaseUrl[..^"/v1".Length];
        var r = await Qed(null, "eval", "--bench", Bench, "--model", ModelYaml("solver"), "--judge", ModelYaml("judge", baseUrl: root),
            "--limit", "2", "--db", "j.db");
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain(root + "/chat/completions").And.Contain("404");
        await using var store = await RunStore.OpenAsync(_dir.File("j.db"));
        (await store.ListGradesAsync()).Should().BeEmpty("no sample is marked grade_failed for a wrong URL");
    }

    [Fact]
    public async Task A_200_mb_row_is_a_one_line_error_naming_line_field_and_limit()
    {
        var path = _dir.File("huge.csv");
        await using (var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20))
        {
            await w.WriteAsync("problem_id,problem\np1,\"");
            var chunk = new string('x', 1 << 20);
            for (var i = 0; i < 200; i++) await w.WriteAsync(chunk);
            await w.WriteLineAsync("\"");
        }
        var clock = Stopwatch.StartNew();
        var r = await Qed(null, "run", "--bench", path, "--model", ModelYaml("m"), "--db", "h.db");
        r.ExitCode.Should().Be(1);
        r.StdErr.Trim().Should().Be($"qed run: {path}:2: field 'problem' is longer than the 16 MiB field limit");
        _server.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task Invalid_utf8_is_an_error_or_with_lenient_utf8_a_warning_naming_the_line()
    {
        var path = _dir.File("bad.csv");
        await File.WriteAllBytesAsync(path, [.. Encoding.UTF8.GetBytes("problem_id,problem\np1,Problem 1: fine.\np2,Problem 2: caf"), 0xE9, .. Encoding.UTF8.GetBytes(" au lait.\n")]);
        var strict = await Qed(null, "run", "--bench", path, "--model", ModelYaml("m"), "--db", "u.db");
        strict.ExitCode.Should().Be(1);
        strict.StdErr.Should().StartWith($"qed run: {path}:3: invalid UTF-8");
        _server.RequestCount.Should().Be(0);

        var lenient = await Qed(null, "run", "--bench", path, "--model", ModelYaml("m"), "--db", "u.db", "--lenient-utf8");
        lenient.ExitCode.Should().Be(0, lenient.StdErr);
        lenient.StdErr.Should().Contain($"warning: {path}:3: invalid UTF-8");
        _server.RequestCount.Should().Be(2);
    }
}
