using Qed.Benchmarks;
using Qed.Llm;
using Qed.Scaffolds;

namespace Qed.Protocols;

/// <summary>What <c>qed eval</c>, <c>run</c> and <c>prove</c> share: <c>--model</c> and <c>--scaffold</c> under a protocol.</summary>
public static class ProtocolSetup
{
    /// <summary>
    /// Opens the model and resolves the scaffold: an agent config given as <c>--model</c> brings its own model and scaffold;
    /// under the original's rules a shipped scaffold name is the original's agent config, and the solver is posed the
    /// problem inside the run prompt (see <see cref="ProtocolSolver"/>).
    /// </summary>
    public static async Task<(ModelClient Model, ResolvedScaffold Scaffold)> OpenModelAndScaffoldAsync(ChatClientFactory factory, Protocol protocol,
        string modelRef, string? scaffoldRef, GradingMode mode, PromptLibrary prompts, HttpClient http, CancellationToken ct)
    {
        var registry = new ScaffoldRegistry();
        var environment = ProtocolEnvironment.FromEnvironment(http);
        var originalFiles = protocol.Files ?? new PinnedProtocolFiles(environment.RawBase, environment.CacheDirectory, http);
        var agent = await AgentConfig.TryLoadAsync(modelRef, factory.Locations, originalFiles, ct).ConfigureAwait(false);
        ResolvedScaffold scaffold;
        if (agent is not null)
        {
            if (!string.IsNullOrWhiteSpace(scaffoldRef))
                throw new QedException($"--model {modelRef} is an agent config, which names its own scaffold ({agent.Scaffold.Settings.Path}); leave out --scaffold");
            modelRef = agent.ModelReference;
            scaffold = await registry.ResolveConfigAsync(registry.Check(agent.Scaffold, factory.Warn), mode, prompts, factory, ct).ConfigureAwait(false);
        }
        else
        {
            var reference = await protocol.ScaffoldReferenceAsync(scaffoldRef, ct).ConfigureAwait(false);
            scaffold = await registry.ResolveAsync(reference, mode, prompts, factory, ct).ConfigureAwait(false);
        }
        var model = await factory.OpenAsync(modelRef, ct).ConfigureAwait(false);
        return (model, ProtocolSolver.Apply(protocol, scaffold, mode));
    }
}
