using Qed.Testing;

namespace Qed.Cli.Tests.CommandLine;

/// <summary>The newcomer's path (issue 15.16): what a benchmark load repaired is said once per store, and a missing data
/// folder names the file it must hold.</summary>
public sealed class NewcomerTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync(_ => ScriptedReply.Text(@"So \boxed{2}."));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Benchmark_repairs_are_warned_about_once_per_store()
    {
        var bench = Path.Combine(RepoPaths.Fixtures, "benchmarks", "mini.csv"); // one answer is "2 " (trimmed)
        var model = _dir.Write("m.yaml", $"model: m\nbase_url: {_server.BaseUrl}\n");
        var first = await QedProcess.RunAsync(_dir.Path, null, Limit, "run", "--bench", bench, "--model", model, "--db", "a.db");
        first.ExitCode.Should().Be(0, first.StdErr);
        first.StdErr.Should().Contain("trimmed surrounding whitespace from 1 short answers");

        foreach (var args in new[] { new[] { "run", "--bench", bench, "--model", model, "--db", "a.db" }, ["run", "--bench", bench, "--model", model, "--db", "a.db", "--runs", "2"] })
        {
            var again = await QedProcess.RunAsync(_dir.Path, null, Limit, args);
            again.ExitCode.Should().Be(0, again.StdErr);
            again.StdErr.Should().NotContain("trimmed", "this store has seen the benchmark");
        }

        var otherStore = await QedProcess.RunAsync(_dir.Path, null, Limit, "run", "--bench", bench, "--model", model, "--db", "b.db");
        otherStore.StdErr.Should().Contain("trimmed", "a new store hears it once too");
    }

    [Fact]
    public async Task A_missing_benchmark_file_names_what_QED_DATA_DIR_must_hold()
    {
        var model = _dir.Write("m.yaml", $"model: m\nbase_url: {_server.BaseUrl}\n");
        var env = new Dictionary<string, string?>
        {
            ["QED_DATA_DIR"] = _dir.Path,                         // holds no imobench/
            ["QED_CACHE_DIR"] = Path.Combine(_dir.Path, "cache"),
            ["HTTPS_PROXY"] = "http://127.0.0.1:9", ["https_proxy"] = "http://127.0.0.1:9", // no download either
        };
        var r = await QedProcess.RunAsync(_dir.Path, env, Limit, "run", "--bench", "imo-proofbench", "--model", model, "--db", "c.db");
        r.ExitCode.Should().Be(1);
        r.StdErr.Should().Contain("imobench/proofbench_v2.csv").And.Contain("QED_DATA_DIR");
        _server.RequestCount.Should().Be(0);
    }
}
