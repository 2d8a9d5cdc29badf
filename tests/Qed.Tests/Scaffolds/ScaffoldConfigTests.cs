using Qed.Benchmarks;
using Qed.Llm;
using Qed.Scaffolds;
using Qed.Solvers;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

public class ScaffoldConfigTests
{
    private readonly ScaffoldRegistry _registry = new();
    private static ConfigLocations Shipped => ConfigLocations.Default(RepoPaths.Root);

    [Theory]
    [InlineData("reasoning-cache")]
    [InlineData("deepseek-math")]
    [InlineData("nomos")]
    [InlineData("rsa")]
    [InlineData("self-check")]
    [InlineData("static-dag")]
    public void Every_shipped_scaffold_loads_with_a_budget_that_allows_over_a_million_and_a_half_tokens(string name)
    {
        var config = _registry.Load(name, Shipped);
        config.Type.Should().Be(name);
        config.Budget.MaxCalls.Should().BePositive();
        config.Budget.MaxOutputTokens.Should().BeGreaterThan(1_500_000);
        config.Budget.MaxCostUsd.Should().BePositive();
        _registry.Create(config, new PromptLibrary()).Name.Should().Be(name);
    }

    [Fact]
    public void The_shipped_configs_make_the_documented_number_of_calls()
    {
        ReasoningCacheOptions.From(_registry.Load("reasoning-cache", Shipped).Settings).Calls.Should().Be(5);
        DeepSeekMathOptions.From(_registry.Load("deepseek-math", Shipped).Settings).Should().Be(new DeepSeekMathOptions(4, 4, 2, 2));
        DeepSeekMathOptions.From(_registry.Load("deepseek-math", Shipped).Settings).Calls.Should().Be(60);
        RsaOptions.From(_registry.Load("rsa", Shipped).Settings).Calls.Should().Be(39);
        StaticDagOptions.From(_registry.Load("static-dag", Shipped).Settings).Calls.Should().Be(29);
    }

    [Fact]
    public void Role_models_come_from_top_level_fields_original_names_or_a_models_map()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("s.yaml", "type: deepseek-math\nverifier: openai/gpt-oss-20b\nimprover_model: vllm/qed-nano\nmodels:\n  solver: openai/gpt-5\n");
        var config = _registry.Load(path, Shipped);
        config.Models.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["verifier"] = "openai/gpt-oss-20b", ["improver"] = "vllm/qed-nano", ["solver"] = "openai/gpt-5",
        });
    }

    [Fact]
    public void A_role_model_path_is_read_relative_to_the_scaffold_file()
    {
        using var dir = new TempDirectory();
        var model = dir.Write("models/judge.yaml", "model: j\nbase_url: http://127.0.0.1:9/v1\n");
        var config = _registry.Load(dir.Write("s.yaml", "type: nomos\njudge: models/judge.yaml\n"), Shipped);
        config.Models["judge"].Should().Be(model);
    }

    [Fact]
    public void Budgets_may_also_be_written_at_top_level()
    {
        using var dir = new TempDirectory();
        var config = _registry.Load(dir.Write("s.yaml", "type: rsa\nmax_calls: 7\nmax_output_tokens: 2000000\nmax_cost_usd: 1.5\n"), Shipped);
        config.Budget.Should().Be(new SolverBudget(7, 2_000_000, 1.5));
    }

    [Theory]
    [InlineData("type: nomos\nn_solutions_to_generate: 0\n", "s.yaml:2: field 'n_solutions_to_generate'*")]
    [InlineData("type: nomos\nn_solutions_to_generate: many\n", "s.yaml:2: field 'n_solutions_to_generate'*")]
    [InlineData("n_iterations: 3\ntype: reasoning-kitchen\n", "s.yaml:2: field 'type': unknown scaffold type 'reasoning-kitchen'*")]
    [InlineData("type: reasoning-cache\nmodels:\n  verifier: x\n", "s.yaml:2: field 'models': 'reasoning-cache' has no role 'verifier'*")]
    [InlineData("type: rsa\nselect_pairwise: maybe\n", "s.yaml:2: field 'select_pairwise'*")]
    [InlineData("type: rsa\nmax_calls: -1\n", "s.yaml:2: field 'max_calls'*")]
    public void Bad_configs_name_file_line_and_field(string yaml, string message)
    {
        using var dir = new TempDirectory();
        var act = () => _registry.Load(dir.Write("s.yaml", yaml), Shipped);
        act.Should().Throw<QedException>().WithMessage("*" + message);
    }

    [Fact]
    public async Task No_scaffold_means_one_plain_call_and_the_runners_registry_knows_every_scaffold()
    {
        using var factory = new ChatClientFactory();
        var resolved = await _registry.ResolveAsync(null, GradingMode.Proof, new PromptLibrary(), factory, CancellationToken.None);
        resolved.Solver.Should().BeOfType<SingleCallSolver>();
        resolved.Name.Should().Be("single");

        var solvers = _registry.AddTo(new SolverRegistry());
        solvers.Types.Should().Contain(["single", "reasoning-cache", "deepseek-math", "nomos", "rsa", "self-check", "static-dag"]);
    }

    [Fact]
    public void Scaffold_randomness_depends_on_the_sample_and_the_label_only()
    {
        static SolverContext Context(string sample) => new(null!, "run", sample, ScaffoldBench.Problem, 0, null!);
        var a = Context("s1").RandomFor("round-1").Next();
        Context("s1").RandomFor("round-1").Next().Should().Be(a);
        new[] { Context("s2").RandomFor("round-1").Next(), Context("s1").RandomFor("round-2").Next() }.Should().NotContain(a);
    }
}
