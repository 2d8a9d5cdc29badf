using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;
using Qed.Solvers;

namespace Qed.Tests.Runs;

/// <summary>A run's identity includes its protocol; the default protocol leaves existing run ids unchanged.</summary>
public class RunIdentityTests : IDisposable
{
    private readonly ChatClientFactory _factory = new(new ChatClientFactoryOptions());
    public void Dispose() => _factory.Dispose();

    private EvalPlan Plan(string? protocol)
    {
        var model = _factory.Create(ModelConfigLoader.Parse("m.yaml", "model: m\nbase_url: http://127.0.0.1:9/v1\n"));
        var bench = new Benchmark("b", GradingMode.Proof, [new Problem("p", "x")], []);
        var solver = SingleCallSolver.For(GradingMode.Proof, new PromptLibrary());
        var roles = new Dictionary<string, ModelClient>();
        return protocol is null
            ? new EvalPlan(bench, bench.Problems, 1, solver, model, roles, new SolverBudget(), null)
            : new EvalPlan(bench, bench.Problems, 1, solver, model, roles, new SolverBudget(), null, Protocol: protocol);
    }

    [Fact]
    public void The_default_protocol_keeps_the_run_id_and_another_protocol_changes_it()
    {
        var legacy = Plan(null);
        // The id as it was computed before protocols existed.
        var before = Hashing.Sha256Hex("run", legacy.Model.ConfigHash, null, legacy.Solver.Name, legacy.Solver.PromptsHash, "");
        legacy.RunId.Should().Be(before);
        Plan("qed").RunId.Should().Be(before);
        Plan("qed-nano").RunId.Should().NotBe(before);
        Plan("qed-nano").RunId.Should().NotBe(Plan("my-protocol-dir").RunId);
    }
}
