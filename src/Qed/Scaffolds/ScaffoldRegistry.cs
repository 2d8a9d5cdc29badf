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
/// <param name="Parameters">the YAML fields the scaffold reads; any other field is an error with a did-you-mean.</param>
public sealed record ScaffoldKind(string Type, string Summary, IReadOnlyList<string> Roles, Func<ScaffoldConfig, PromptLibrary, IScaffold> Create)
{
    public IReadOnlyList<string> Parameters { get; init; } = [];
    /// <summary>The original harness's embedded prompts this scaffold understands: YAML field → our prompt slot.</summary>
    public IReadOnlyList<EmbeddedPrompt> EmbeddedPrompts { get; init; } = [];
}

/// <summary>
/// A prompt written inside an original scaffold config (<c>solve_prompt: |</c> …, str.format): it replaces our prompt
/// <c>Area/Name</c>, its placeholder names mapped onto the values our scaffold passes (<paramref name="Aliases"/>:
/// original name → ours). <paramref name="Field"/> may be nested (<c>prompts.system</c>).
/// </summary>
public sealed record EmbeddedPrompt(string Field, string Area, string Name, IReadOnlyDictionary<string, string> Aliases);

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
        static Dictionary<string, string> A(params string[] pairs) =>
            Enumerable.Range(0, pairs.Length / 2).ToDictionary(i => pairs[2 * i], i => pairs[2 * i + 1]);
        const string Rc = "Scaffolds/ReasoningCache", Ds = "Scaffolds/DeepSeekMath", No = "Scaffolds/Nomos", Sc = "Scaffolds/SelfCheck";
        ScaffoldKind[] kinds =
        [
            new(ReasoningCache.Type, "solve ↔ summarise for n iterations", ReasoningCache.Roles, (c, p) => new ReasoningCache(ReasoningCacheOptions.From(c.Settings), p))
            {
                Parameters = ["n_iterations"],
                EmbeddedPrompts = [new("solve_prompt", Rc, "solve", A("curr_summary", "summary")), new("summarization_prompt", Rc, "summarize", A("existing_summary", "summary"))],
            },
            new(DeepSeekMath.Type, "generate, verify V times, refine the best for R rounds", DeepSeekMath.Roles, (c, p) => new DeepSeekMath(DeepSeekMathOptions.From(c.Settings), p))
            {
                Parameters = ["pool_size", "verification_pool_size", "verifications_per_refinement", "max_iterations"],
                EmbeddedPrompts =
                [
                    new("generation_prompt", Ds, "generate", A("question", "problem")), new("verifier_prompt", Ds, "verify", A("question", "problem")),
                    new("refinement_prompt", Ds, "refine", A("proof_generation_prompt", "instructions", "proof_analysis", "verifications")),
                ],
            },
            new(Nomos.Type, "solve N, self-score, consolidate, pairwise tournament", Nomos.Roles, (c, p) => new Nomos(NomosOptions.From(c.Settings), p))
            {
                Parameters = ["n_solutions_to_generate", "max_kept_solutions", "target_perfect_scores"],
                EmbeddedPrompts =
                [
                    new("consolidation_prompt", No, "consolidate", A()), new("pairwise_prompt", No, "pairwise", A("submission1", "first", "submission2", "second")),
                    new("score_prompt", No, "score", A("answer", "solution")),
                ],
            },
            new(RecursiveSelfAggregation.Type, "population, T rounds of merging K-blocks, knockout", RecursiveSelfAggregation.Roles, (c, p) => new RecursiveSelfAggregation(RsaOptions.From(c.Settings), p))
            {
                Parameters = ["n_solutions", "n_rounds", "block_size", "select_pairwise"],
            },
            new(SelfCheck.Type, "generate, self-improve, verify → classify → correct loop", SelfCheck.Roles, (c, p) => new SelfCheck(SelfCheckOptions.From(c.Settings), p))
            {
                Parameters = ["correct_count", "error_count", "max_iterations", "return_if_not_found"],
                EmbeddedPrompts =
                [
                    new("prompts.system", Sc, "system", A()), new("prompts.self_improvement", Sc, "improve", A()),
                    new("prompts.verification_system", Sc, "verify-system", A()),
                ],
            },
            new(StaticDag.Type, "approaches → solvers → verify/improve chains → merge or select", StaticDag.Roles, (c, p) => new StaticDag(StaticDagOptions.From(c.Settings), p))
            {
                Parameters = ["n_approach_solutions", "use_no_approach", "n_no_approach_solutions", "n_solutions_per_approach", "n_verifications_per_solution", "merge_solutions", "max_concurrent_calls"],
            },
        ];
        _kinds = kinds.ToDictionary(k => k.Type);
    }

    /// <summary>Fields every scaffold config may have: its type, budget and role models.</summary>
    private static readonly string[] CommonFields = ["type", "scaffold", "scaffold_name", "budget", "models", "max_calls", "max_output_tokens", "max_cost_usd"];

    /// <summary>
    /// The original harness's fields that do not change what is computed here: its thread pool sizes, its run-id
    /// template, a verification token cap it leaves null, and an agent config's own bookkeeping.
    /// </summary>
    private static readonly string[] OriginalIgnoredFields =
        ["n_threads", "run_idx", "max_concurrent_calls", "max_token_verification", "human_readable_id", "date", "model_config", "scaffold_config"];

    /// <summary>Original fields understood but not applied, each with the reason given in a warning.</summary>
    private static readonly IReadOnlyDictionary<string, string> OriginalNotApplied = new Dictionary<string, string>
    {
        ["core_components"] = "the original's math_core_components prompts are not applied; this scaffold uses its own prompts",
        ["prompts.correction"] = "the original's correction prompt is not applied (its conversation shape differs); ours is used",
        ["prompts.verification_reminder"] = "the original's verification reminder is not applied (its conversation shape differs); ours is used",
    };

    public IReadOnlyCollection<ScaffoldKind> Kinds => _kinds.Values;

    /// <summary>
    /// Reads a scaffold config: <c>type</c>, parameters, a budget (<c>budget: {max_calls, max_output_tokens, max_cost_usd}</c>
    /// or the same three fields at top level), and per-role model configs (<c>summarizer: CFG</c>, the original
    /// harness's <c>summarizer_model: CFG</c>, or <c>models: {summarizer: CFG}</c>). Everything is checked here, before
    /// any request: unknown types and roles, bad parameter values.
    /// </summary>
    public ScaffoldConfig Load(string reference, ConfigLocations locations, Action<string>? warn = null) =>
        Check(ScaffoldConfig.Load(reference, locations), warn);

    /// <summary>Checks a scaffold config read elsewhere (an agent config laid over its scaffold config) as <see cref="Load"/> does.</summary>
    public ScaffoldConfig Check(ScaffoldConfig config, Action<string>? warn = null)
    {
        var y = config.Settings;
        if (!_kinds.TryGetValue(config.Type, out var kind))
        {
            if (config.Type == SingleCallSolver.Kind) return config;
            throw y.Error(y.Root.ContainsKey("type") ? "type" : "scaffold",
                $"unknown scaffold type '{config.Type}' (known: {string.Join(", ", _kinds.Keys.Order().Prepend(SingleCallSolver.Kind))})");
        }
        CheckFields(kind, y, warn);

        var models = new Dictionary<string, string>();
        foreach (var (role, model) in config.Models)
        {
            if (!kind.Roles.Contains(role))
                throw y.Error("models", $"'{kind.Type}' has no role '{role}'{Suggest(role, kind.Roles)} (roles: {string.Join(", ", kind.Roles)})");
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
        Create(config, new PromptLibrary()); // fail fast on bad parameters, missing prompts and malformed embedded prompts
        return config;
    }

    /// <summary>Every field must be one the scaffold reads, a role, a budget field or an original field we know; else a did-you-mean.</summary>
    private void CheckFields(ScaffoldKind kind, YamlConfig y, Action<string>? warn)
    {
        var known = CommonFields.Concat(kind.Parameters).Concat(OriginalIgnoredFields)
            .Concat(kind.Roles).Concat(kind.Roles.Select(r => r + "_model"))
            .Concat(kind.EmbeddedPrompts.Select(p => p.Field.Split('.')[0]))
            .Concat(OriginalNotApplied.Keys.Where(k => !k.Contains('.'))).ToHashSet();
        foreach (var (field, value) in y.Root)
        {
            if (!known.Contains(field))
            {
                if (KnownRoles.Contains(field) || field.EndsWith("_model", StringComparison.Ordinal))
                    throw y.Error(field, $"'{kind.Type}' has no role '{field}'{Suggest(field.Replace("_model", ""), kind.Roles)} (roles: {string.Join(", ", kind.Roles)})");
                throw y.Error(field, $"unknown field for '{kind.Type}'{Suggest(field, known)} (fields: {string.Join(", ", kind.Parameters.Concat(kind.Roles))}, budget, models)");
            }
            if (OriginalNotApplied.TryGetValue(field, out var reason) && value is not null) warn?.Invoke($"{y.PathOf(field)}:{y.LineOf(field)}: '{field}': {reason}");
        }
        if (y.Root["budget"] is JsonObject budget)
        {
            string[] budgetFields = ["max_calls", "max_output_tokens", "max_cost_usd"];
            foreach (var (name, _) in budget)
                if (!budgetFields.Contains(name))
                    throw y.Error("budget", $"unknown budget field '{name}'{Suggest(name, budgetFields)} (budget: {string.Join(", ", budgetFields)})");
        }
        // Nested original prompt blocks (self-check's prompts:) are checked the same way.
        foreach (var group in kind.EmbeddedPrompts.Where(p => p.Field.Contains('.')).GroupBy(p => p.Field.Split('.')[0]))
        {
            if (y.Root[group.Key] is null) continue;
            if (y.Root[group.Key] is not JsonObject block) throw y.Error(group.Key, "expected a mapping of prompt name: text");
            var names = group.Select(p => p.Field.Split('.')[1]).ToHashSet();
            foreach (var (name, _) in block)
            {
                var full = group.Key + "." + name;
                if (names.Contains(name)) continue;
                if (OriginalNotApplied.TryGetValue(full, out var reason)) { warn?.Invoke($"{y.PathOf(group.Key)}:{y.LineOf(group.Key)}: '{full}': {reason}"); continue; }
                var all = names.Concat(OriginalNotApplied.Keys.Where(k => k.StartsWith(group.Key + ".", StringComparison.Ordinal)).Select(k => k.Split('.')[1]));
                throw y.Error(group.Key, $"unknown prompt '{name}'{Suggest(name, all)} (prompts: {string.Join(", ", all)})");
            }
        }
    }

    private IEnumerable<string> KnownRoles => _kinds.Values.SelectMany(k => k.Roles).Distinct();

    private static string Suggest(string name, IEnumerable<string> known) =>
        NearMiss.Closest(name, known) is { } near ? $"; did you mean '{near}'?" : "";

    /// <summary>Our prompts with the config's embedded original prompts (str.format) put in their slots.</summary>
    public static PromptLibrary WithEmbeddedPrompts(ScaffoldKind kind, YamlConfig y, PromptLibrary prompts)
    {
        foreach (var e in kind.EmbeddedPrompts)
        {
            var parts = e.Field.Split('.');
            var node = parts.Length == 1 ? y.Root[parts[0]] : (y.Root[parts[0]] as JsonObject)?[parts[1]];
            if (node is null) continue;
            if (node is not JsonValue v || !v.TryGetValue<string>(out var text)) throw y.Error(parts[0], $"'{e.Field}' must be a prompt text");
            PromptTemplate template;
            try { template = new PromptTemplate($"{y.PathOf(parts[0])}#{e.Field}", text) { Format = PromptSyntax.PythonFormat }.Checked(); }
            catch (QedException ex) { throw y.Error(parts[0], ex.Message); }
            prompts = prompts.WithOverride(e.Area, e.Name, template.WithAliases(e.Aliases));
        }
        return prompts;
    }

    public IScaffold Create(ScaffoldConfig config, PromptLibrary prompts) =>
        _kinds.TryGetValue(config.Type, out var kind) ? kind.Create(config, WithEmbeddedPrompts(kind, config.Settings, prompts))
        : throw config.Settings.Error("type", $"unknown scaffold type '{config.Type}'");

    /// <summary>Adds every scaffold type to a runner's <see cref="SolverRegistry"/>.</summary>
    public SolverRegistry AddTo(SolverRegistry registry)
    {
        foreach (var kind in _kinds.Values) registry.Register(kind.Type, (config, _, prompts) => Create(config, prompts));
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
        return await ResolveConfigAsync(Load(reference, factory.Locations, factory.Warn), mode, prompts, factory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Resolves a scaffold config already read and checked (see <see cref="Check"/>).</summary>
    public async Task<ResolvedScaffold> ResolveConfigAsync(ScaffoldConfig config, GradingMode mode, PromptLibrary prompts, ChatClientFactory factory,
        CancellationToken cancellationToken)
    {
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
