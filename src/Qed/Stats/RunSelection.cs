using Qed.Runs;

namespace Qed.Stats;

/// <summary>A judge as statistics see it: the content hash its grades are stored under and its config name.</summary>
public sealed record JudgeRef(string Id, string Name)
{
    public bool IsPanel => Name.StartsWith(Qed.Grading.PanelGrades.NamePrefix, StringComparison.Ordinal);
}

/// <summary>
/// Which (run, judge) pairs a command works on: <c>--run ID</c> (a unique prefix is enough), <c>--model NAME</c>,
/// <c>--scaffold NAME|none</c>, <c>--bench NAME</c>, <c>--judge NAME</c>, <c>--protocol NAME</c>. Every flag left out matches
/// everything. Names compare case-insensitively and also match the part after the last <c>/</c> (<c>qed-nano</c> for
/// <c>vllm/qed-nano</c>), so the names a user sees in the stats table work as typed.
/// </summary>
public sealed record RunSelection(string? Run = null, string? Model = null, string? Scaffold = null, string? Bench = null,
    string? Judge = null, string? Protocol = null)
{
    public static RunSelection All { get; } = new();

    public bool IsEmpty => Run is null && Model is null && Scaffold is null && Bench is null && Judge is null && Protocol is null;

    /// <summary>The runs this selection keeps. A <c>--run</c> prefix that fits several runs is ambiguous (exit 2).</summary>
    public IReadOnlyList<RunInfo> Runs(IReadOnlyList<RunInfo> runs)
    {
        if (Run is { } prefix)
        {
            var byId = runs.Where(r => r.RunId.StartsWith(prefix.Trim(), StringComparison.OrdinalIgnoreCase)).ToList();
            if (byId.Count > 1)
                throw new AmbiguousSelectionException(
                    $"--run {prefix} matches {byId.Count} runs: {string.Join(", ", byId.Select(r => ShortId(r.RunId)))}; give more of the id",
                    byId.Select(r => Describe(r, null)).ToList());
        }
        return runs.Where(MatchesRun).ToList();
    }

    public bool MatchesRun(RunInfo r) =>
        (Run is null || r.RunId.StartsWith(Run.Trim(), StringComparison.OrdinalIgnoreCase))
        && (Model is null || NameMatches(r.ModelName, Model))
        && (Scaffold is null || (IsNone(Scaffold) ? string.IsNullOrEmpty(r.ScaffoldName) : r.ScaffoldName is { } s && NameMatches(s, Scaffold)))
        && (Bench is null || NameMatches(r.Benchmark, Bench) || NameMatches(Path.GetFileNameWithoutExtension(r.Benchmark), Bench))
        && (Protocol is null || string.Equals(r.Protocol, Protocol.Trim(), StringComparison.OrdinalIgnoreCase));

    /// <summary>A run no judge has graded yet has one row with no judge; <c>--judge</c> never matches it.</summary>
    public bool MatchesJudge(JudgeRef? j) =>
        Judge is null || (j is not null && (NameMatches(j.Name, Judge) || j.Id.StartsWith(Judge.Trim(), StringComparison.OrdinalIgnoreCase)));

    private static bool IsNone(string s) => s.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);

    private static bool NameMatches(string name, string wanted)
    {
        wanted = wanted.Trim();
        if (string.Equals(name, wanted, StringComparison.OrdinalIgnoreCase)) return true;
        var tail = name[(name.LastIndexOf('/') + 1)..];
        return string.Equals(tail, wanted, StringComparison.OrdinalIgnoreCase);
    }

    public static string ShortId(string runId) => runId.Length <= 12 ? runId : runId[..12];

    public static string Describe(RunInfo r, JudgeRef? j) =>
        $"run {ShortId(r.RunId)}: {r.Benchmark}, model {r.ModelName}, scaffold {r.ScaffoldName ?? "none"}, protocol {r.Protocol}, judge {j?.Name ?? "(none)"}";

    /// <summary>The flags whose values tell the given pairs apart, most specific last (the hint of an ambiguity error).</summary>
    public static IReadOnlyList<string> DistinguishingFlags(IReadOnlyList<(RunInfo Run, JudgeRef? Judge)> pairs)
    {
        var flags = new List<string>();
        bool Differ<T>(Func<(RunInfo Run, JudgeRef? Judge), T> key) => pairs.Select(key).Distinct().Count() > 1;
        if (Differ(p => p.Run.Benchmark)) flags.Add("--bench NAME");
        if (Differ(p => p.Run.ModelName)) flags.Add("--model NAME");
        if (Differ(p => p.Run.ScaffoldName ?? "none")) flags.Add("--scaffold NAME|none");
        if (Differ(p => p.Run.Protocol)) flags.Add("--protocol NAME");
        if (Differ(p => p.Judge?.Name ?? "")) flags.Add("--judge NAME");
        if (Differ(p => p.Run.RunId)) flags.Add("--run ID");
        return flags;
    }
}

/// <summary>A selection that matches several (run, judge) pairs where one is needed, or nothing at all: a usage error (exit 2).</summary>
public sealed class AmbiguousSelectionException(string message, IReadOnlyList<string> candidates) : QedException(message)
{
    public IReadOnlyList<string> Candidates { get; } = candidates;
    public const int ExitCode = 2;
}
