using System.Diagnostics;
using System.Runtime.CompilerServices;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;
using Qed.Solvers;
using Qed.Testing;

namespace Qed.Tests.Runs;

/// <summary>Several holders (processes) on one run store: work is claimed before it is requested (issue 15).</summary>
public class SharedStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private LoopbackChatServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();
    public async Task DisposeAsync() { await _server.DisposeAsync(); _dir.Dispose(); }

    private static RunInfo Run(string id = "r1") => new(id, "bench", "Proof", "model", "{}", null, null, "h", DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_claim_held_by_one_holder_is_refused_to_another_until_released()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("c.db"));
        await using var a = new WorkClaims(store, holder: "host-a/1/1/a");
        await using var b = new WorkClaims(store, holder: "host-b/1/1/b");
        var held = await a.TryClaimAsync("sample:s1");
        held.Should().NotBeNull();
        (await b.TryClaimAsync("sample:s1")).Should().BeNull();
        (await a.TryClaimAsync("sample:s1")).Should().NotBeNull("a holder may claim again what it holds");
        await held!.DisposeAsync();
        (await b.TryClaimAsync("sample:s1")).Should().NotBeNull();
    }

    [Fact]
    public async Task A_crashed_holders_claim_is_taken_over_after_its_lease_expires()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("c.db"));
        // A holder on another machine that stopped renewing: only its lease's expiry frees the work.
        (await store.TryClaimAsync("sample:s1", "elsewhere/4242/1/dead", TimeSpan.FromMilliseconds(400))).Should().BeTrue();
        await using var b = new WorkClaims(store, holder: "host-b/1/1/b");
        (await b.TryClaimAsync("sample:s1")).Should().BeNull();
        await Task.Delay(600);
        (await b.TryClaimAsync("sample:s1")).Should().NotBeNull();
    }

    [Fact]
    public async Task A_claim_of_a_process_on_this_machine_that_no_longer_runs_is_taken_over_at_once()
    {
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync();
        await using var store = await RunStore.OpenAsync(_dir.File("c.db"));
        (await store.TryClaimAsync("sample:s1", $"{Environment.MachineName}/{gone.Id}/1/dead", TimeSpan.FromHours(1))).Should().BeTrue();
        await using var b = new WorkClaims(store);
        (await b.TryClaimAsync("sample:s1")).Should().NotBeNull();
    }

    [Fact]
    public async Task A_working_holder_renews_its_lease()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("c.db"));
        await using var a = new WorkClaims(store, lease: TimeSpan.FromMilliseconds(300), holder: "host-a/1/1/a");
        await using var b = new WorkClaims(store, holder: "host-b/1/1/b");
        (await a.TryClaimAsync("sample:s1")).Should().NotBeNull();
        await Task.Delay(1000);
        (await b.TryClaimAsync("sample:s1")).Should().BeNull("a renews every 100 ms");
        await a.DisposeAsync(); // stops renewing and releases
        (await b.TryClaimAsync("sample:s1")).Should().NotBeNull();
    }

    [Fact]
    public async Task A_finished_sample_is_never_overwritten()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("c.db"));
        await store.EnsureRunAsync(Run());
        await store.AddSampleAsync("s1", "r1", new Problem("p1", "Prove it."), 0);
        await store.CompleteSampleAsync("s1", SampleStatus.Failed, null, null, "HTTP 500", UsageTotals.Zero, 1);
        await store.CompleteSampleAsync("s1", SampleStatus.Ok, "First proof.", null, null, new UsageTotals(1, 2, 0.5, 1), 1);
        await store.CompleteSampleAsync("s1", SampleStatus.Ok, "Second proof.", null, null, new UsageTotals(1, 2, 0.5, 1), 1);
        await store.CompleteSampleAsync("s1", SampleStatus.Failed, null, null, "late failure", UsageTotals.Zero, 1);
        var s = (await store.GetSampleAsync("s1"))!;
        s.Status.Should().Be(SampleStatus.Ok);
        s.Answer.Should().Be("First proof.");
        s.Error.Should().BeNull();
    }

    private EvalPlan Plan(ChatClientFactory factory, IReadOnlyList<Problem> problems, int runs)
    {
        var model = factory.Create(ModelConfigLoader.Parse("m.yaml", $"""
            model: m
            base_url: {_server.BaseUrl}
            read_cost: 1
            write_cost: 4
            max_retries: 0
            """));
        var bench = new Benchmark("b", GradingMode.Proof, problems, []);
        return new EvalPlan(bench, problems, runs, SingleCallSolver.For(GradingMode.Proof, new PromptLibrary(null)), model,
            new Dictionary<string, ModelClient>(), SolverBudget.None, null);
    }

    private static List<Problem> Problems(int n) => Enumerable.Range(1, n).Select(i => new Problem($"p{i}", $"Problem {i}: prove it.")).ToList();

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Several_runners_on_one_store_send_each_request_once(int holders)
    {
        _server.Responder = _ => new ScriptedReply { Content = "Proof. Done.", Delay = TimeSpan.FromMilliseconds(40), PromptTokens = 100, CompletionTokens = 10 };
        var path = _dir.File("shared.db");
        var problems = Problems(12);
        var outcomes = await Task.WhenAll(Enumerable.Range(0, holders).Select(async _ =>
        {
            using var factory = new ChatClientFactory();
            await using var store = await RunStore.OpenAsync(path);
            return await new EvalRunner(store) { BatchSize = 4 }.RunAsync(Plan(factory, problems, 2), 4, null, null, CancellationToken.None);
        }));

        _server.RequestCount.Should().Be(24, "12 problems × 2 runs, each requested once across {0} runners", holders);
        outcomes.Sum(o => o.Solved).Should().Be(24);
        outcomes.Should().OnlyContain(o => o.Solved + o.Skipped == 24 && o.Failed == 0, "each runner accounts for every sample");
        await using var check = await RunStore.OpenAsync(path);
        (await check.TotalCostAsync()).Should().BeApproximately(24 * (100 * 1 + 10 * 4) / 1e6, 1e-12, "cost is not double-counted");
        (await check.ListSamplesAsync()).Should().HaveCount(24).And.OnlyContain(s => s.Status == SampleStatus.Ok && s.Usage.Calls == 1);
    }

    private sealed class LeakySolver : ISolver
    {
        public string Name => "leaky";
        public Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the scaffold logged its settings: api_key=sk-test-0123456789");
    }

    [Fact]
    public async Task A_scaffolds_own_error_is_stored_with_the_keys_masked()
    {
        using var factory = new ChatClientFactory();
        var secrets = new SecretRedactor();
        secrets.Add("sk-test-0123456789");
        await using var store = await RunStore.OpenAsync(_dir.File("leak.db"));
        var plan = Plan(factory, Problems(1), 1) with { Solver = new LeakySolver(), Secrets = secrets };
        (await new EvalRunner(store).RunAsync(plan, 1, null, null, CancellationToken.None)).Failed.Should().Be(1);
        (await store.ListSamplesAsync()).Single().Error.Should().Be("InvalidOperationException: the scaffold logged its settings: api_key=[redacted]");
    }

    [Fact]
    public async Task Requests_start_before_a_streamed_input_is_fully_inserted()
    {
        _server.Responder = _ => ScriptedReply.Text("Proof. Done.");
        var firstRequestSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var served = 0;
        _server.Responder = _ =>
        {
            if (Interlocked.Increment(ref served) == 1) firstRequestSeen.TrySetResult();
            return ScriptedReply.Text("Proof. Done.");
        };
        async IAsyncEnumerable<Problem> Slow([EnumeratorCancellation] CancellationToken ct)
        {
            for (var i = 1; i <= 40; i++)
            {
                // Halfway, the input waits for the first request: a runner that inserted everything first would never send one.
                if (i == 21) await firstRequestSeen.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
                yield return new Problem($"p{i}", $"Problem {i}: prove it.");
            }
        }
        using var factory = new ChatClientFactory();
        await using var store = await RunStore.OpenAsync(_dir.File("stream.db"));
        var plan = Plan(factory, [], 1) with { Stream = new ProblemStream(40, Slow) };
        var outcome = await new EvalRunner(store) { BatchSize = 8 }.RunAsync(plan, 4, null, null, CancellationToken.None);
        outcome.Should().Be(new RunOutcome(40, 40, 0, 0, false, null));
        _server.RequestCount.Should().Be(40);
    }
}
