using Qed.Llm;
using Qed.Scaffolds;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

/// <summary>Scaffold configs reject what they do not read (issue 15 item 11), with a did-you-mean.</summary>
public class ScaffoldStrictnessTests
{
    private readonly ScaffoldRegistry _registry = new();
    private static ConfigLocations Shipped => ConfigLocations.Default(RepoPaths.Root);

    [Theory]
    [InlineData("type: reasoning-cache\nn_iteratons: 1\n", "s.yaml:2: field 'n_iteratons'*did you mean 'n_iterations'*")]
    [InlineData("type: reasoning-cache\nsumarizer: openai/gpt-oss-20b\n", "s.yaml:2: field 'sumarizer'*did you mean 'summarizer'*")]
    [InlineData("type: deepseek-math\npool_sise: 2\n", "s.yaml:2: field 'pool_sise'*did you mean 'pool_size'*")]
    [InlineData("type: reasoning-cache\nverifier: openai/gpt-oss-20b\n", "s.yaml:2: field 'verifier'*has no role 'verifier'*roles: solver, summarizer*")]
    [InlineData("type: reasoning-cache\nmodels:\n  sumarizer: openai/gpt-oss-20b\n", "s.yaml:2: field 'models'*no role 'sumarizer'*did you mean 'summarizer'*")]
    [InlineData("type: nomos\nscorer_modle: x\n", "s.yaml:2: field 'scorer_modle'*did you mean 'scorer_model'*")]
    [InlineData("type: nomos\nbudget:\n  max_call: 3\n", "s.yaml:2: field 'budget'*'max_call'*did you mean 'max_calls'*")]
    public void Unknown_fields_and_roles_are_errors_naming_file_line_and_a_near_miss(string yaml, string message)
    {
        using var dir = new TempDirectory();
        var path = dir.Write("s.yaml", yaml);
        var act = () => _registry.Load(path, Shipped);
        act.Should().Throw<QedException>().WithMessage("*" + message);
    }

    [Fact]
    public void The_original_harness_bookkeeping_fields_are_known()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("s.yaml", "scaffold_name: rc\nn_threads: 16\nrun_idx: '{solver_path}/rc_{parameter_hash}_{problem_id}'\nn_iterations: 2\n");
        var config = _registry.Load(path, Shipped);
        config.Type.Should().Be("reasoning-cache");
        ReasoningCacheOptions.From(config.Settings).Iterations.Should().Be(2);
    }

    [Fact]
    public void An_original_scaffold_without_a_counterpart_is_named()
    {
        using var dir = new TempDirectory();
        var act = () => _registry.Load(dir.Write("s.yaml", "scaffold_name: math_agent\n"), Shipped);
        act.Should().Throw<QedException>().WithMessage("*s.yaml:1: field 'scaffold_name'*math_agent*");
    }
}
