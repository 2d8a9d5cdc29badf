using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Llm;

namespace Qed.Solvers;

/// <summary>
/// A scaffold config (<c>--scaffold</c>): YAML with <c>type</c> (which solver), optional <c>budget</c>
/// (<c>max_calls, max_output_tokens, max_cost_usd</c>), optional <c>models</c> (role → model config
/// reference; roles not listed use <c>--model</c>), and any settings the solver reads from <see cref="Settings"/>.
/// </summary>
public sealed record ScaffoldConfig(string Name, string Type, SolverBudget Budget, IReadOnlyDictionary<string, string> Models,
    YamlConfig Settings)
{
    /// <summary>Hash of the whole config content (not its path).</summary>
    public string ContentHash() => Hashing.Sha256Hex("scaffold", CanonicalJson.Write(Settings.Root));

    /// <summary>The original harness's <c>scaffold_name</c> values → our scaffold types (<c>math_agent</c> has no counterpart here).</summary>
    public static readonly IReadOnlyDictionary<string, string> OriginalScaffoldNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["rc"] = "reasoning-cache",
        ["deepseek_agent"] = "deepseek-math",
        ["nomos"] = "nomos",
        ["rsa"] = "rsa",
        ["selfcheck"] = "self-check",
        ["static_math_agent"] = "static-dag",
    };

    public static ScaffoldConfig Load(string reference, ConfigLocations locations)
    {
        var path = locations.Resolve("scaffolds", reference);
        var name = File.Exists(reference) ? Path.GetFileNameWithoutExtension(reference) : reference;
        return FromYaml(name, YamlConfig.Load(path));
    }

    /// <summary>Reads a scaffold config already parsed (e.g. an original agent config laid over its scaffold config).</summary>
    public static ScaffoldConfig FromYaml(string name, YamlConfig y)
    {
        var path = y.Path;
        var type = y.String("type") ?? y.String("scaffold") ?? OriginalType(y)
            ?? throw new QedException($"{path}:1: field 'type': required (which scaffold)");
        SolverBudget budget = SolverBudget.None;
        if (y.Object("budget") is { } b)
        {
            budget = new SolverBudget(
                Num(y, b, "max_calls") is { } c ? (int)c : null,
                Num(y, b, "max_output_tokens") is { } t ? (long)t : null,
                Num(y, b, "max_cost_usd"));
        }
        var models = new Dictionary<string, string>();
        if (y.Object("models") is { } m)
            foreach (var (role, value) in m)
                models[role] = value is JsonValue v && v.TryGetValue<string>(out var s) ? s
                    : throw y.Error("models", $"role '{role}' must name a model config");
        return new ScaffoldConfig(name, type, budget, models, y);
    }

    private static string? OriginalType(YamlConfig y)
    {
        if (y.String("scaffold_name") is not { } original) return null;
        return OriginalScaffoldNames.TryGetValue(original, out var ours) ? ours
            : throw y.Error("scaffold_name", $"the original's '{original}' has no scaffold here (supported: {string.Join(", ", OriginalScaffoldNames.Keys)})");
    }

    private static double? Num(YamlConfig y, JsonObject budget, string field)
    {
        var n = budget[field];
        if (n is null) return null;
        if (n is JsonValue v && (v.TryGetValue<double>(out var d) || v.TryGetValue<long>(out var l) && (d = l) == l) && d >= 0) return d;
        throw y.Error("budget", $"'{field}' must be a non-negative number, got {n.ToJsonString()}");
    }
}

/// <summary>
/// Which solver a scaffold <c>type</c> names. The composition root registers every scaffold it knows
/// (Qed.Scaffolds adds its own); <c>single</c> is always there.
/// </summary>
public sealed class SolverRegistry
{
    private readonly Dictionary<string, Func<ScaffoldConfig, GradingMode, PromptLibrary, ISolver>> _factories = new();

    public SolverRegistry()
    {
        Register(SingleCallSolver.Kind, (_, mode, prompts) => SingleCallSolver.For(mode, prompts));
    }

    public SolverRegistry Register(string type, Func<ScaffoldConfig, GradingMode, PromptLibrary, ISolver> factory)
    {
        _factories[type] = factory;
        return this;
    }

    public IReadOnlyCollection<string> Types => _factories.Keys;

    public ISolver Create(ScaffoldConfig config, GradingMode mode, PromptLibrary prompts) =>
        _factories.TryGetValue(config.Type, out var f) ? f(config, mode, prompts)
        : throw config.Settings.Error("type", $"unknown scaffold type '{config.Type}' (known: {string.Join(", ", _factories.Keys.Order())})");
}
