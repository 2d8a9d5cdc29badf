using Qed.Benchmarks;
using Qed.Llm;

namespace Qed.Protocols;

/// <summary>The original harness's prompt files: the run prompts around the statement and the three judge prompts.</summary>
public sealed record OriginalPrompts(PromptTemplate ProofRun, PromptTemplate AnswerRun, PromptTemplate ProofJudge,
    PromptTemplate MarkingSchemeJudge, PromptTemplate AnswerJudge)
{
    public IEnumerable<PromptTemplate> All => [ProofRun, AnswerRun, ProofJudge, MarkingSchemeJudge, AnswerJudge];

    /// <summary>The prompt the solver gets around the statement: the answer one for AnswerBench, the proof one otherwise (the original's run script).</summary>
    public PromptTemplate Run(GradingMode mode) => mode == GradingMode.Answer ? AnswerRun : ProofRun;

    public PromptTemplate Judge(GradingMode mode) => mode switch
    {
        GradingMode.Proof => ProofJudge,
        GradingMode.MarkingScheme => MarkingSchemeJudge,
        _ => AnswerJudge,
    };
}

/// <summary>
/// The prompts and rules that define a score. <see cref="Ours"/> (<c>qed</c>) is the default; <c>qed-nano</c> and a
/// directory (<c>dir:HASH</c>) apply the original harness's rules with the original's (or the directory's) prompt files.
/// </summary>
/// <param name="Name">recorded with every run: <c>qed</c>, <c>qed-nano</c> or <c>dir:</c> and a content hash.</param>
/// <param name="Original">the original's prompt files; null for ours.</param>
/// <param name="Files">where the original's agent configs are read from; null for ours.</param>
public sealed record Protocol(string Name, OriginalPrompts? Original, IProtocolFiles? Files)
{
    public const string OursName = "qed";
    public const string QedNanoName = "qed-nano";

    public static Protocol Ours { get; } = new(OursName, null, null);

    /// <summary>True when the original harness's rules apply (verdict parse, strip, answer extraction, delimiter rule).</summary>
    public bool OriginalRules => Original is not null;

    /// <summary>
    /// A model config as this protocol reads replies and waits for them: under the original's rules a reply without a
    /// delimiter is all thinking, and a config without <c>timeout</c> gets the original's default (18,000 s).
    /// </summary>
    public ModelConfig AdjustModel(ModelConfig config) => !OriginalRules ? config : config with
    {
        OriginalReplySplit = true,
        Timeout = config.TimeoutFromConfig ? config.Timeout : ModelConfigLoader.OriginalDefaultTimeout,
    };

    /// <summary>
    /// Under the original's rules a shipped scaffold name (ours, e.g. <c>deepseek-math</c>, or the original's, e.g.
    /// <c>deepseek_math</c>) is the original's agent config; anything else (a path) is returned as given.
    /// </summary>
    public async Task<string?> ScaffoldReferenceAsync(string? reference, CancellationToken cancellationToken)
    {
        if (Files is null || string.IsNullOrWhiteSpace(reference) || File.Exists(reference)) return reference;
        var agent = QedNanoFiles.AgentForScaffold.TryGetValue(reference, out var a) ? a
            : QedNanoFiles.AgentForScaffold.Values.FirstOrDefault(v => v == $"agents/{reference}.yaml" || v == $"agents/{reference}");
        return agent is null ? reference : await Files.LocalPathAsync(agent, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Where protocol files come from: the raw-file host (<c>QED_GITHUB_RAW</c>), the cache directory and an HTTP client.</summary>
/// <param name="Pins">the sha256 each qed-nano file must have; null: the pinned originals.</param>
public sealed record ProtocolEnvironment(string RawBase, string CacheDirectory, HttpClient? Http, IReadOnlyDictionary<string, string>? Pins = null)
{
    /// <summary><c>$QED_GITHUB_RAW</c> and <c>$QED_CACHE_DIR</c> (default <c>~/.cache/qed</c>), as benchmark data uses them.</summary>
    public static ProtocolEnvironment FromEnvironment(HttpClient? http, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var cache = env("QED_CACHE_DIR") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "qed");
        return new ProtocolEnvironment(GitHubRaw.Base(env(GitHubRaw.Variable)), cache, http);
    }
}

/// <summary>Turns <c>--protocol qed | qed-nano | DIR</c> (or <c>reward.protocol</c>) into a <see cref="Protocol"/>, reading every prompt file before any request.</summary>
public static class ProtocolResolver
{
    public static readonly IReadOnlyList<string> PromptFiles =
        [QedNanoFiles.ProofRun, QedNanoFiles.AnswerRun, QedNanoFiles.ProofJudge, QedNanoFiles.MarkingSchemeJudge, QedNanoFiles.AnswerJudge];

    public static async Task<Protocol> ResolveAsync(string? spec, ProtocolEnvironment environment, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec == Protocol.OursName) return Protocol.Ours;
        if (spec == Protocol.QedNanoName)
        {
            var files = new PinnedProtocolFiles(environment.RawBase, environment.CacheDirectory, environment.Http, environment.Pins);
            return new Protocol(Protocol.QedNanoName, await ReadPromptsAsync(files, cancellationToken).ConfigureAwait(false), files);
        }
        if (Directory.Exists(spec))
        {
            var files = new DirectoryProtocolFiles(spec);
            var prompts = await ReadPromptsAsync(files, cancellationToken).ConfigureAwait(false);
            return new Protocol(await files.LabelAsync(PromptFiles, cancellationToken).ConfigureAwait(false), prompts, files);
        }
        throw new QedException($"--protocol '{spec}': not a protocol (qed, qed-nano) nor a directory laid out like the original's eval/configs (prompts/, agents/)");
    }

    private static async Task<OriginalPrompts> ReadPromptsAsync(IProtocolFiles files, CancellationToken ct)
    {
        async Task<PromptTemplate> Read(string path)
        {
            var text = await files.ReadAsync(path, ct).ConfigureAwait(false);
            // The original's files are str.format templates whatever their extension.
            try { return new PromptTemplate("qed-nano/" + path, text) { Format = PromptSyntax.PythonFormat }.Checked(); }
            catch (QedException e) { throw new QedException($"{files.Describe}: {path}: {e.Message}"); }
        }
        return new OriginalPrompts(await Read(QedNanoFiles.ProofRun), await Read(QedNanoFiles.AnswerRun), await Read(QedNanoFiles.ProofJudge),
            await Read(QedNanoFiles.MarkingSchemeJudge), await Read(QedNanoFiles.AnswerJudge));
    }
}
