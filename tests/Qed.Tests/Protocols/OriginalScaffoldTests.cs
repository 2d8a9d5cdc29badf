using Qed.Benchmarks;
using Qed.Llm;
using Qed.Protocols;
using Qed.Runs;
using Qed.Scaffolds;
using Qed.Solvers;
using Qed.Testing;

namespace Qed.Tests.Protocols;

/// <summary>The original's scaffold configs (fixtures in its format) as --scaffold, and its agent configs as --model.</summary>
public class OriginalScaffoldTests : IAsyncLifetime
{
    private readonly ScaffoldRegistry _registry = new();
    private static ConfigLocations Shipped => ConfigLocations.Default(RepoPaths.Root);
    private static string Agent(string name) => Path.Combine(ProtocolFilesTests.FixtureDir, "agents", name + ".yaml");
    private LoopbackChatServer _server = null!;
    private readonly TempDirectory _dir = new();

    public async Task InitializeAsync() => _server = await LoopbackChatServer.StartAsync();
    public async Task DisposeAsync() { await _server.DisposeAsync(); _dir.Dispose(); }

    [Fact]
    public void An_original_scaffold_config_loads_with_its_parameters_and_embedded_prompts()
    {
        var config = _registry.Load(Agent("deepseek_math"), Shipped);
        config.Type.Should().Be("deepseek-math");
        DeepSeekMathOptions.From(config.Settings).Should().Be(new DeepSeekMathOptions(1, 1, 1, 0));
        var scaffold = _registry.Create(config, new PromptLibrary());
        scaffold.Prompts.Select(p => p.Text).Should().Contain(t => t.Contains("FIXTURE-DS-GENERATE"))
            .And.Contain(t => t.Contains("FIXTURE-DS-VERIFY")).And.Contain(t => t.Contains("FIXTURE-DS-REFINE"));
    }

    [Fact]
    public void Prompts_the_scaffold_cannot_apply_are_named_in_a_warning()
    {
        var warnings = new List<string>();
        var config = _registry.Load(Agent("selfcheck"), Shipped, warnings.Add);
        config.Type.Should().Be("self-check");
        warnings.Should().HaveCount(2).And.Contain(w => w.Contains("prompts.correction")).And.Contain(w => w.Contains("prompts.verification_reminder"));
        _registry.Create(config, new PromptLibrary()).Prompts.Select(p => p.Text).Should().Contain(t => t.Contains("FIXTURE-SC-SYSTEM"));
    }

    [Fact]
    public async Task The_reasoning_cache_runs_with_the_originals_prompts_and_placeholder_names()
    {
        _server.Responder = r => ScriptedReply.Text(r.LastUserMessage!.StartsWith("FIXTURE-RC-SUMMARIZE") ? "my summary" : "attempt", "thinking");
        var model = _dir.Write("m.yaml", $"model: m\nbase_url: {_server.BaseUrl}\nmax_retries: 0\n");
        using var factory = new ChatClientFactory(new ChatClientFactoryOptions { Locations = Shipped });
        var resolved = await _registry.ResolveAsync(Agent("reasoning_cache"), GradingMode.Proof, new PromptLibrary(), factory, default);
        await using var store = await RunStore.OpenAsync(_dir.File("s.db"), default);
        var outcome = await ProblemAttempt.RunAsync(store, "t", new Problem("p", "Show 2>1."), 0, factory.Create(ModelConfigLoader.Load(model, Shipped)), resolved, null, default);
        outcome.Sample.Answer.Should().Be("attempt");
        var prompts = _server.Requests.Select(r => r.LastUserMessage!).ToList();
        prompts.Should().HaveCount(3);
        prompts[0].Should().StartWith("FIXTURE-RC-SOLVE").And.Contain("PROBLEM: Show 2>1.");
        prompts[1].Should().StartWith("FIXTURE-RC-SUMMARIZE").And.Contain("ATTEMPT: thinking");
        prompts[2].Should().Contain("SUMMARY: my summary");
    }

    [Fact]
    public async Task An_agent_config_is_a_model_and_a_scaffold_with_its_own_fields_laid_over()
    {
        // The original's layout: configs/models/agents/x.yaml naming models/... and agents/... relative to configs/.
        var root = _dir.Path;
        File.Copy(Agent("reasoning_cache"), _dir.File("configs/agents/reasoning_cache.yaml").Also(Directory.CreateDirectory));
        _dir.Write("configs/models/vllm/nano.yaml", $"model: nano\nmodel_revision: main\napi: custom\nbase_url: {_server.BaseUrl}\nmax_tokens: 1000\nprompt_margin: 10\nhuman_readable_id: n\ndate: \"2026-01-01\"\n");
        _dir.Write("configs/models/vllm/summ.yaml", $"model: summ\napi: custom\nbase_url: {_server.BaseUrl}\n");
        var agentPath = _dir.Write("configs/models/agents/nano-rc.yaml",
            "type: agent\nmodel_config: models/vllm/nano\nscaffold_config: agents/reasoning_cache\nsummarizer_model: models/vllm/summ\nn_iterations: 3\nhuman_readable_id: \"nano + rc\"\n");

        var agent = await AgentConfig.TryLoadAsync(agentPath, Shipped, new DirectoryProtocolFiles(ProtocolFilesTests.FixtureDir), default);
        agent.Should().NotBeNull();
        agent!.ModelReference.Should().Be(_dir.File("configs/models/vllm/nano.yaml"));
        var config = _registry.Check(agent.Scaffold);
        config.Type.Should().Be("reasoning-cache");
        ReasoningCacheOptions.From(config.Settings).Iterations.Should().Be(3);
        config.Models["summarizer"].Should().Be(_dir.File("configs/models/vllm/summ.yaml"));
        _ = root;

        (await AgentConfig.TryLoadAsync("vllm/qed-nano", Shipped, new DirectoryProtocolFiles(ProtocolFilesTests.FixtureDir), default)).Should().BeNull();
    }

    [Fact]
    public async Task An_agent_whose_scaffold_is_not_beside_it_takes_the_originals_pinned_agent_config()
    {
        _dir.Write("m.yaml", $"model: nano\nbase_url: {_server.BaseUrl}\n");
        var agentPath = _dir.Write("agent.yaml", "type: agent\nmodel_config: m\nscaffold_config: agents/deepseek_math\n");
        var agent = await AgentConfig.TryLoadAsync(agentPath, Shipped, new DirectoryProtocolFiles(ProtocolFilesTests.FixtureDir), default);
        agent!.Scaffold.Type.Should().Be("deepseek-math");
        agent.Scaffold.Settings.Root["generation_prompt"]!.ToString().Should().Contain("FIXTURE-DS-GENERATE");
    }

    [Fact]
    public async Task Under_the_original_protocol_the_solver_gets_the_run_prompt_around_the_statement()
    {
        var nano = await ProtocolResolver.ResolveAsync(ProtocolFilesTests.FixtureDir, new ProtocolEnvironment("http://127.0.0.1:9", Path.GetTempPath(), null), default);
        var model = _dir.Write("m.yaml", $"model: m\nbase_url: {_server.BaseUrl}\nmax_retries: 0\ndelimiters: [\"</think>\"]\n");
        using var factory = new ChatClientFactory(new ChatClientFactoryOptions { Locations = Shipped, AdjustConfig = nano.AdjustModel });
        using var http = new HttpClient();
        var (client, resolved) = await ProtocolSetup.OpenModelAndScaffoldAsync(factory, nano, model, null, GradingMode.Proof, new PromptLibrary(), http, default);
        client.Config.OriginalReplySplit.Should().BeTrue();
        _server.Enqueue(ScriptedReply.Text("never closed its thinking"));
        await using var store = await RunStore.OpenAsync(_dir.File("s.db"), default);
        var outcome = await ProblemAttempt.RunAsync(store, "t", new Problem("p", "Show 2>1."), 0, client, resolved, null, default);
        _server.Requests.Single().LastUserMessage.Should().StartWith("FIXTURE-RUN-PROOF").And.EndWith("Show 2>1.\n");
        outcome.Sample.Answer.Should().BeEmpty();

        var (_, ours) = await ProtocolSetup.OpenModelAndScaffoldAsync(factory, Protocol.Ours, model, null, GradingMode.Proof, new PromptLibrary(), http, default);
        ours.PromptsHash.Should().NotBe(resolved.PromptsHash);
    }
}

internal static class PathExtensions
{
    /// <summary>Creates the file's folder first (test setup helper).</summary>
    public static string Also(this string file, Func<string, DirectoryInfo> createDirectory)
    {
        createDirectory(Path.GetDirectoryName(file)!);
        return file;
    }
}
