using Qed.Llm;
using Qed.Solvers;

namespace Qed.Protocols;

/// <summary>
/// The original harness's agent config, a valid <c>--model</c>: <c>type: agent</c>, <c>model_config</c> (the model),
/// <c>scaffold_config</c> (the scaffold), and any other field laid over the scaffold config (role models such as
/// <c>summarizer_model</c>, embedded prompts, parameters), as the original does.
/// References are the original's, relative to its <c>configs/</c> folder (<c>models/vllm/x</c>, <c>agents/rc</c>): they are
/// looked up beside the agent file and in each folder above it, then model configs among ours (<c>models/</c> dropped),
/// and scaffold configs among the original's pinned agent files.
/// </summary>
public sealed record AgentConfig(string Path, string ModelReference, ScaffoldConfig Scaffold)
{
    private static readonly string[] AgentOnlyFields = ["type", "model_config", "scaffold_config", "human_readable_id", "date"];

    /// <summary>The agent config <paramref name="reference"/> names, or null when it names an ordinary model config (or <c>local:</c>).</summary>
    public static async Task<AgentConfig?> TryLoadAsync(string reference, ConfigLocations locations, IProtocolFiles originalFiles,
        CancellationToken cancellationToken)
    {
        if (ChatClientFactory.IsLocal(reference)) return null;
        var path = locations.Resolve("models", reference);
        var y = YamlConfig.Load(path);
        if (y.String("type") != "agent") return null;

        var modelRef = y.String("model_config") ?? throw y.Error("type", "an agent config needs model_config (the model) and scaffold_config");
        var scaffoldRef = y.String("scaffold_config") ?? throw y.Error("type", "an agent config needs scaffold_config (the scaffold) and model_config");
        var model = ResolveModel(y, "model_config", modelRef, locations);
        if (YamlConfig.Load(model).String("type") == "agent")
            throw y.Error("model_config", $"'{modelRef}' is itself an agent config; an agent's model must be a model config");

        var scaffoldPath = Beside(path, scaffoldRef) ?? await PinnedAgentAsync(y, scaffoldRef, originalFiles, cancellationToken).ConfigureAwait(false);
        var merged = YamlConfig.Load(scaffoldPath).Merge(y, AgentOnlyFields);
        // Role models named the original's way (summarizer_model: models/google/x) resolve like model_config.
        foreach (var (field, value) in y.Root.ToList())
            if (field.EndsWith("_model", StringComparison.Ordinal) && value is not null && y.String(field) is { } roleRef)
                merged.Root[field] = ResolveModel(y, field, roleRef, locations);
        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        return new AgentConfig(path, model, ScaffoldConfig.FromYaml(name, merged));
    }

    private static string ResolveModel(YamlConfig y, string field, string reference, ConfigLocations locations)
    {
        if (Beside(y.Path, reference) is { } found) return found;
        var ours = reference.StartsWith("models/", StringComparison.Ordinal) ? reference["models/".Length..] : reference;
        try { return locations.Resolve("models", ours); }
        catch (QedException e)
        {
            throw y.Error(field, $"'{reference}' is not beside this file nor in a folder above it, and {e.Message}");
        }
    }

    /// <summary><c>REF.yaml</c> (or REF) relative to the agent file's folder or any folder above it; the original resolves from its configs/.</summary>
    private static string? Beside(string agentPath, string reference)
    {
        var file = reference.EndsWith(".yaml", StringComparison.Ordinal) ? reference : reference + ".yaml";
        for (var dir = new DirectoryInfo(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(agentPath))!); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, file);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private static async Task<string> PinnedAgentAsync(YamlConfig y, string reference, IProtocolFiles files, CancellationToken ct)
    {
        var file = reference.EndsWith(".yaml", StringComparison.Ordinal) ? reference : reference + ".yaml";
        if (!QedNanoFiles.Sha256.ContainsKey(file) && files is PinnedProtocolFiles)
            throw y.Error("scaffold_config", $"'{reference}' is not beside this file nor in a folder above it, nor one of the original's pinned agent configs ({string.Join(", ", QedNanoFiles.AgentForScaffold.Values)})");
        return await files.LocalPathAsync(file, ct).ConfigureAwait(false);
    }
}
