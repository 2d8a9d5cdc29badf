using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>A solver that is a scaffold over chat clients.</summary>
public interface IScaffold : ISolver
{
    /// <summary>Every prompt the scaffold may send; their texts are part of the run identity.</summary>
    IReadOnlyList<PromptTemplate> Prompts { get; }

    string ISolver.PromptsHash => ScaffoldRegistry.PromptsHashOf(Prompts);
}

/// <summary>One kind of scaffold: its <c>type</c> name, the roles it calls models in, and how to build it from its config.</summary>
/// <param name="Roles">model roles; each may name its own model config in the scaffold YAML (e.g. <c>verifier: openai/gpt-oss-20b</c>), else uses <c>--model</c>.</param>
public sealed record ScaffoldKind(string Type, string Summary, IReadOnlyList<string> Roles, Func<ScaffoldConfig, PromptLibrary, IScaffold> Create);

/// <summary>A scaffold ready to solve: its config (null for the plain single call), solver, role models and budget.</summary>
public sealed record ResolvedScaffold(ScaffoldConfig? Config, ISolver Solver, IReadOnlyDictionary<string, ModelClient> RoleModels,
    SolverBudget Budget, string PromptsHash)
{
    public string Name => Config?.Name ?? SingleCallSolver.Kind;
}

/// <summary>
/// The one place that turns <c>--scaffold NAME|PATH.yaml</c> into a solver: <c>qed prove</c>, <c>qed run</c> and
/// <c>qed eval</c> all call <see cref="ResolveAsync"/>. Shipped names resolve to <c>configs/scaffolds/NAME.yaml</c>.
/// </summary>
public sealed class ScaffoldRegistry
{
    private readonly Dictionary<string, ScaffoldKind> _kinds;

    public ScaffoldRegistry()
    {
        ScaffoldKind[] kinds =
        [
            new(ReasoningCache.Type, "solve ↔ summarise for n iterations", ReasoningCache.Roles, (c, p) => new ReasoningCache(ReasoningCacheOptions.From(c.Settings), p)),
            new(DeepSeekMath.Type, "generate, verify V times, refine the best for R rounds", DeepSeekMath.Roles, (c, p) => new DeepSeekMath(DeepSeekMathOptions.From(c.Settings), p)),
            new(Nomos.Type, "solve N, self-score, consolidate, pairwise tournament", Nomos.Roles, (c, p) => new Nomos(NomosOptions.From(c.Settings), p)),
            new(RecursiveSelfAggregation.Type, "population, T rounds of merging K-blocks, knockout", RecursiveSelfAggregation.Roles, (c, p) => new RecursiveSelfAggregation(RsaOptions.From(c.Settings), p)),
            new(SelfCheck.Type, "generate, self-improve, verify → classify → correct loop", SelfCheck.Roles, (c, p) => new SelfCheck(SelfCheckOptions.From(c.Settings), p)),
            new(StaticDag.Type, "approaches → solvers → verify/improve chains → merge or select", StaticDag.Roles, (c, p) => new StaticDag(StaticDagOptions.From(c.Settings), p)),
        ];
        _kinds = kinds.ToDictionary(k => k.Type);
    }

    public IReadOnlyCollection<ScaffoldKind> Kinds => _kinds.Values;

    /// <summary>
    /// Reads a scaffold config: <c>type</c>, parameters, a budget (<c>budget: {max_calls, max_output_tokens, max_cost_usd}</c>
    /// or the same three fields at top level), and per-role model configs (<c>summarizer: CFG</c>, the original
    /// harness's <c>summarizer_model: CFG</c>, or <c>models: {summarizer: CFG}</c>). Everything is checked here, before
    /// any request: unknown types and roles, bad parameter values.
    /// </summary>
    public ScaffoldConfig Load(string reference, ConfigLocations locations)
    {
        var config = ScaffoldConfig.Load(reference, locations);
        var y = config.Settings;
        if (!_kinds.TryGetValue(config.Type, out var kind))
        {
            if (config.Type == SingleCallSolver.Kind) return config;
            throw y.Error(y.Root.ContainsKey("type") ? "type" : "scaffold",
                $"unknown scaffold type '{config.Type}' (known: {string.Join(", ", _kinds.Keys.Order().Prepend(SingleCallSolver.Kind))})");
        }

        var models = new Dictionary<string, string>();
        foreach (var (role, model) in config.Models)
        {
            if (!kind.Roles.Contains(role))
                throw y.Error("models", $"'{kind.Type}' has no role '{role}' (roles: {string.Join(", ", kind.Roles)})");
            models[role] = NearConfig(y, model);
        }
        foreach (var role in kind.Roles)
            foreach (var field in new[] { role, role + "_model" })
                if (y.String(field) is { Length: > 0 } model)
                    models[role] = NearConfig(y, model);

        var budget = config.Budget;
        if (y.Object("budget") is null)
            budget = new SolverBudget(
                y.Double("max_calls") is { } c ? checked((int)NonNegative(y, "max_calls", c)) : null,
                y.Double("max_output_tokens") is { } t ? (long)NonNegative(y, "max_output_tokens", t) : null,
                y.Double("max_cost_usd") is { } usd ? NonNegative(y, "max_cost_usd", usd) : null);

        config = config with { Models = models, Budget = budget };
        kind.Create(config, new PromptLibrary()); // fail fast on bad parameters and missing prompts
        return config;
    }

    public IScaffold Create(ScaffoldConfig config, PromptLibrary prompts) =>
        _kinds.TryGetValue(config.Type, out var kind) ? kind.Create(config, prompts)
        : throw config.Settings.Error("type", $"unknown scaffold type '{config.Type}'");

    /// <summary>Adds every scaffold type to a runner's <see cref="SolverRegistry"/>.</summary>
    public SolverRegistry AddTo(SolverRegistry registry)
    {
        foreach (var kind in _kinds.Values) registry.Register(kind.Type, (config, _, prompts) => kind.Create(config, prompts));
        return registry;
    }

    /// <summary>Opens the model of every role the config names; roles left out use the default (<c>--model</c>).</summary>
    public async Task<IReadOnlyDictionary<string, ModelClient>> OpenRoleModelsAsync(ScaffoldConfig config, ChatClientFactory factory,
        CancellationToken cancellationToken)
    {
        var opened = new Dictionary<string, ModelClient>();
        var byReference = new Dictionary<string, ModelClient>();
        foreach (var (role, reference) in config.Models)
        {
            if (!byReference.TryGetValue(reference, out var model))
            {
                try { model = await factory.OpenAsync(reference, cancellationToken).ConfigureAwait(false); }
                catch (QedException e)
                {
                    throw new QedException($"{config.Settings.Path}: role '{role}': {e.Message}");
                }
                byReference[reference] = model;
            }
            opened[role] = model;
        }
        return opened;
    }

    /// <summary>
    /// Resolves <c>--scaffold</c> (null: the plain single-call solver) into a solver, its role models and budget.
    /// </summary>
    public async Task<ResolvedScaffold> ResolveAsync(string? reference, GradingMode mode, PromptLibrary prompts, ChatClientFactory factory,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            var single = SingleCallSolver.For(mode, prompts);
            return new ResolvedScaffold(null, single, new Dictionary<string, ModelClient>(), SolverBudget.None,
                PromptsHashOf([single.Prompt]));
        }
        var config = Load(reference, factory.Locations);
        if (config.Type == SingleCallSolver.Kind)
        {
            var single = SingleCallSolver.For(mode, prompts);
            return new ResolvedScaffold(config, single, new Dictionary<string, ModelClient>(), config.Budget, PromptsHashOf([single.Prompt]));
        }
        var scaffold = Create(config, prompts);
        var roles = await OpenRoleModelsAsync(config, factory, cancellationToken).ConfigureAwait(false);
        return new ResolvedScaffold(config, scaffold, roles, config.Budget, PromptsHashOf(scaffold.Prompts));
    }

    public static string PromptsHashOf(IEnumerable<PromptTemplate> prompts) =>
        Hashing.Sha256Hex(prompts.OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.ContentHash()).ToArray());

    // A role's model config may be a path next to the scaffold file; otherwise it is a shipped name or a path as given.
    private static string NearConfig(YamlConfig y, string reference)
    {
        if (ChatClientFactory.IsLocal(reference) || Path.IsPathRooted(reference)) return reference;
        var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(y.Path)) ?? ".", reference);
        return File.Exists(beside) ? beside : reference;
    }

    private static double NonNegative(YamlConfig y, string field, double v) =>
        v >= 0 ? v : throw y.Error(field, $"must be a non-negative number, got {v}");
}
