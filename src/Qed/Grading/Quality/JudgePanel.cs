using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;

namespace Qed.Grading.Quality;

/// <summary>How the points of several judges become one score.</summary>
public enum JudgeCombine { Min, Mean }

/// <summary>
/// A judge config that lists several judges (a YAML file with <c>judges: [cfg, cfg]</c> and
/// <c>combine: min|mean</c>); each entry is a model config path (relative to this file) or shipped name.
/// </summary>
public sealed record JudgePanelConfig(IReadOnlyList<string> Judges, JudgeCombine Combine, string SourcePath)
{
    /// <summary>The panel a config file describes, or null when the file is an ordinary model config.</summary>
    public static JudgePanelConfig? TryLoad(string path)
    {
        if (!File.Exists(path)) return null;
        var y = YamlConfig.Load(path);
        if (y.Root["judges"] is null) return null;
        var judges = y.Strings("judges");
        if (judges.Count == 0) throw y.Error("judges", "list at least one judge config");
        var combine = (y.String("combine") ?? "mean").Trim().ToLowerInvariant() switch
        {
            "min" => JudgeCombine.Min,
            "mean" => JudgeCombine.Mean,
            var other => throw y.Error("combine", $"'{other}' is not one of min, mean"),
        };
        foreach (var field in y.Root.Select(kv => kv.Key))
            if (field is not ("judges" or "combine")) throw y.Error(field, "unknown field (a judge panel has judges and combine)");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var resolved = judges.Select(j => File.Exists(Path.Combine(dir, j)) ? Path.Combine(dir, j) : j).ToList();
        return new JudgePanelConfig(resolved, combine, path);
    }
}

/// <summary>
/// One or more graders whose points are combined (min or mean). Each grader's grade is stored under its own judge
/// id, so an interrupted panel resumes per judge; a proof counts as graded only when every judge graded it.
/// </summary>
public sealed class JudgePanel
{
    public IReadOnlyList<ProofGrader> Graders { get; }
    public JudgeCombine Combine { get; }

    public JudgePanel(IReadOnlyList<ProofGrader> graders, JudgeCombine combine = JudgeCombine.Mean)
    {
        if (graders.Count == 0) throw new ArgumentException("a panel needs at least one grader", nameof(graders));
        Graders = graders;
        Combine = combine;
    }

    public string Name => Graders.Count == 1 ? Graders[0].JudgeName
        : $"{Combine.ToString().ToLowerInvariant()}({string.Join(", ", Graders.Select(g => g.JudgeName))})";

    /// <summary>The combined score, or null unless every judge's grade is present and graded.</summary>
    public double? CombinedPoints(IReadOnlyList<GradeRecord?> grades)
    {
        if (grades.Count != Graders.Count || grades.Any(g => g is null || g.Status != GradeStatus.Graded || g.Points is null)) return null;
        var points = grades.Select(g => g!.Points!.Value).ToList();
        return Combine == JudgeCombine.Min ? points.Min() : points.Average();
    }

    /// <summary>Opens the judges a <c>--judge</c> reference names: a panel config or a single model config.</summary>
    public static async Task<JudgePanel> OpenAsync(string reference, ChatClientFactory factory, PromptLibrary prompts, GraderOptions options,
        CancellationToken cancellationToken)
    {
        var panel = ChatClientFactory.IsLocal(reference) ? null : JudgePanelConfig.TryLoad(reference);
        var references = panel?.Judges ?? [reference];
        var graders = new List<ProofGrader>();
        foreach (var r in references)
            graders.Add(new ProofGrader(await factory.OpenAsync(r, cancellationToken), prompts, options));
        return new JudgePanel(graders, panel?.Combine ?? JudgeCombine.Mean);
    }

    public IEnumerable<string> JudgeIds(GradingMode mode) => Graders.Select(g => g.JudgeId(mode));
}
