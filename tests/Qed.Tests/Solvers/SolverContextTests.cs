using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;
using Qed.Solvers;
using Qed.Testing;

namespace Qed.Tests.Solvers;

public class SolverContextTests : IAsyncLifetime
{
    private LoopbackChatServer _server = null!;
    private readonly ChatClientFactory _factory = new();
    private readonly TempDirectory _dir = new();
    private static readonly Problem Problem = new("p1", "Prove that 2 is prime.");

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();
    public async Task DisposeAsync() { await _server.DisposeAsync(); _factory.Dispose(); _dir.Dispose(); }

    private ModelClient Model() => _factory.Create(ModelConfigLoader.Parse("m.yaml",
        $"model: m\nbase_url: {_server.BaseUrl}\ndelimiters: [\"</think>\"]\nwrite_cost: 1000000\n"));

    private async Task<(RunStore, SolverContext)> ContextAsync(SolverBudget? budget = null)
    {
        var store = await RunStore.OpenAsync(_dir.File("runs.db"));
        await store.EnsureRunAsync(new RunInfo("run", "b", "Proof", "m", "{}", null, null, "h", DateTimeOffset.UtcNow));
        await store.EnsureSampleAsync("s1", "run", Problem, 0);
        return (store, new SolverContext(store, "run", "s1", Problem, 0, Model(), budget: budget));
    }

    [Fact]
    public async Task A_finished_step_is_replayed_from_the_store_without_a_request()
    {
        _server.Enqueue(ScriptedReply.Text("thinking</think>2 has no divisor between 1 and 2."));
        var solver = SingleCallSolver.For(GradingMode.Proof, new PromptLibrary());
        var (store, ctx) = await ContextAsync();
        await using (store)
        {
            var first = await solver.SolveAsync(Problem, ctx, CancellationToken.None);
            first.Answer.Should().Be("2 has no divisor between 1 and 2.");
            first.Reasoning.Should().Be("thinking");
        }
        var (store2, ctx2) = await ContextAsync(); // a new process would see exactly this
        await using (store2)
        {
            var again = await solver.SolveAsync(Problem, ctx2, CancellationToken.None);
            again.Should().Be(new SolveResult("2 has no divisor between 1 and 2.", "thinking", false));
            ctx2.Usage.Should().Be(new UsageTotals(100, 50, 50, 1));
            (await store2.ListStepsAsync("s1")).Should().ContainSingle().Which.Name.Should().Be("generate");
        }
        _server.RequestCount.Should().Be(1);
        _server.Requests[0].LastUserMessage.Should().Contain("Prove that 2 is prime.");
    }

    [Fact]
    public async Task Budgets_stop_further_calls()
    {
        var (store, ctx) = await ContextAsync(new SolverBudget(MaxCostUsd: 60));
        await using (store)
        {
            await ctx.CallAsync("a", "solver", [new(Microsoft.Extensions.AI.ChatRole.User, "x")]);
            await ctx.CallAsync("b", "solver", [new(Microsoft.Extensions.AI.ChatRole.User, "x")]);
            var act = () => ctx.CallAsync("c", "solver", [new(Microsoft.Extensions.AI.ChatRole.User, "x")]);
            await act.Should().ThrowAsync<BudgetExhaustedException>().WithMessage("*max_cost_usd*");
        }
        _server.RequestCount.Should().Be(2);
    }

    [Fact]
    public async Task The_random_source_is_seeded_from_the_sample()
    {
        var (s1, a) = await ContextAsync();
        await using (s1) { }
        var (s2, b) = await ContextAsync();
        await using (s2) { }
        a.Random.Next().Should().Be(b.Random.Next());
    }
}
