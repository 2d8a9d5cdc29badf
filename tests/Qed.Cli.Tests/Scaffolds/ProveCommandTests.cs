using System.Diagnostics;
using System.Text.Json.Nodes;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Cli.Tests.Scaffolds;

/// <summary><c>qed prove</c> as a user runs it: a real process against a scripted loopback model.</summary>
public class ProveCommandTests : IAsyncLifetime
{
    private const string Statement = "Prove that the sum of two odd integers is even.";
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();
    private int _attempts;
    private int _summaries;
    private string _model = "";

    public async Task InitializeAsync()
    {
        _server = await LoopbackChatServer.StartAsync(Reply);
        _model = _dir.Write("model.yaml", $"model: loopback\nbase_url: {_server.BaseUrl}\nmax_retries: 0\nwrite_cost: 2\nread_cost: 1\n");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private ScriptedReply Reply(RecordedRequest r) => r.LastUserMessage!.Contains("Reasoning of the latest attempt")
        ? ScriptedReply.Text($"summary {Interlocked.Increment(ref _summaries)}")
        : ScriptedReply.Text($"proof {Interlocked.Increment(ref _attempts)}", reasoning: "thinking");

    private Task<QedResult> Qed(params string[] args) => QedProcess.RunAsync(_dir.Path, null, TimeSpan.FromMinutes(2), args);

    [Fact]
    public async Task Prints_each_step_on_stderr_and_the_final_proof_on_stdout()
    {
        var result = await Qed("prove", "--model", _model, "--scaffold", "reasoning-cache", "--db", _dir.File("q.db"), Statement);

        result.ExitCode.Should().Be(0, result.StdErr);
        result.StdOut.Trim().Should().Be("proof 3");
        var stepLines = result.StdErr.Split('\n').Where(l => l.StartsWith('[')).ToList();
        stepLines.Should().HaveCount(5);
        stepLines[0].Should().Contain("[solver] iteration-1/solve").And.Contain("in=100").And.Contain("out=50");
        stepLines[1].Should().Contain("[summarizer] iteration-1/summarize");
    }

    [Fact]
    public async Task Json_gives_proof_steps_usage_and_cost()
    {
        var file = _dir.Write("problem.md", Statement);
        var result = await Qed("prove", "--model", _model, "--scaffold", "reasoning-cache", "--db", _dir.File("q.db"), "--file", file, "--json");

        result.ExitCode.Should().Be(0, result.StdErr);
        var json = JsonNode.Parse(result.StdOut)!.AsObject();
        json["proof"]!.GetValue<string>().Should().Be("proof 3");
        json["steps"]!.AsArray().Select(s => s!["name"]!.GetValue<string>()).Should().Equal(
            "iteration-1/solve", "iteration-1/summarize", "iteration-2/solve", "iteration-2/summarize", "iteration-3/solve");
        json["steps"]![1]!["role"]!.GetValue<string>().Should().Be("summarizer");
        json["usage"]!["output_tokens"]!.GetValue<long>().Should().Be(250);
        json["usage"]!["input_tokens"]!.GetValue<long>().Should().Be(500);
        json["cost_usd"]!.GetValue<double>().Should().BeApproximately((500 * 1 + 250 * 2) / 1e6, 1e-12);
    }

    [Fact]
    public async Task Without_a_model_it_fails_at_once_saying_how_to_point_at_a_directory_or_an_endpoint()
    {
        var clock = Stopwatch.StartNew();
        // an empty Hugging Face cache and a Hub that cannot be reached (nothing leaves 127.0.0.1)
        var env = new Dictionary<string, string?> { ["HF_HUB_CACHE"] = _dir.File("hf-cache"), ["HF_ENDPOINT"] = "http://127.0.0.1:9", ["HF_HUB_OFFLINE"] = null };
        var result = await QedProcess.RunAsync(_dir.Path, env, TimeSpan.FromMinutes(2), "prove", "--db", _dir.File("q.db"), Statement);
        result.ExitCode.Should().Be(1);
        result.StdErr.Should().Contain("no --model given").And.Contain("local:/path").And.Contain("endpoint");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60));
        _server.RequestCount.Should().Be(0);
    }

    [Fact]
    public async Task A_problem_is_required_once()
    {
        (await Qed("prove", "--model", _model)).StdErr.Should().Contain("no problem given");
        var both = await Qed("prove", "--model", _model, "--file", _dir.Write("p.md", "x"), "text");
        both.ExitCode.Should().Be(1);
        both.StdErr.Should().Contain("not both");
    }

    [Fact]
    public async Task Killed_mid_scaffold_it_resumes_at_the_step_where_it_stopped()
    {
        var db = _dir.File("kill.db");
        var hang = new TaskCompletionSource();
        _server.Responder = r =>
        {
            if (_server.RequestCount < 3) return Reply(r);
            hang.TrySetResult();
            return ScriptedReply.Text("never delivered") with { Delay = TimeSpan.FromMinutes(5) };
        };
        string[] args = ["prove", "--model", _model, "--scaffold", "reasoning-cache", "--db", db, Statement];

        using (var process = QedProcess.Start(_dir.Path, null, args))
        {
            await hang.Task.WaitAsync(TimeSpan.FromMinutes(2)); // the third call (iteration-2/solve) is in flight
            process.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
            await process.WaitForExitAsync();
        }
        await using (var store = await RunStore.OpenAsync(db))
        {
            var sample = (await store.ListSamplesAsync()).Single();
            sample.Status.Should().Be(SampleStatus.Pending);
            (await store.ListStepsAsync(sample.SampleId)).Select(s => s.Name).Should().Equal("iteration-1/solve", "iteration-1/summarize");
        }

        _server.Responder = Reply;
        var before = _server.RequestCount;
        var result = await Qed(args);

        result.ExitCode.Should().Be(0, result.StdErr);
        (_server.RequestCount - before).Should().Be(3); // iteration-2/solve, iteration-2/summarize, iteration-3/solve
        result.StdErr.Should().Contain("iteration-1/solve").And.Contain("(from store)");
        await using (var store = await RunStore.OpenAsync(db))
        {
            var sample = (await store.ListSamplesAsync()).Single();
            sample.Status.Should().Be(SampleStatus.Ok);
            sample.Usage.Calls.Should().Be(5);
            (await store.ListStepsAsync(sample.SampleId)).Should().HaveCount(5);
        }
    }
}
