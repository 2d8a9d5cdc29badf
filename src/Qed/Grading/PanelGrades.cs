using System.Globalization;
using Qed.Llm;
using Qed.Runs;

namespace Qed.Grading;

/// <summary>How a panel of judges turns its members' points into one grade.</summary>
public enum PanelCombine { Min, Mean }

/// <summary>
/// A panel of judges (<c>--judge A --judge B --combine min|mean</c>): each member's grade is stored under its own judge,
/// and the panel's grade under the panel's name, so statistics show a row for each member and one for the panel. The panel
/// grades a sample only when every member graded it; a member's failed verdict makes the panel's grade fail too.
/// </summary>
public static class PanelGrades
{
    public const string NamePrefix = "panel-";

    public static PanelCombine Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "min" => PanelCombine.Min,
        "mean" => PanelCombine.Mean,
        _ => throw new QedException($"--combine: '{text}' is not min or mean"),
    };

    public static string Name(PanelCombine combine, IEnumerable<string> memberNames) =>
        $"{NamePrefix}{combine.ToString().ToLowerInvariant()}({string.Join(",", memberNames)})";

    /// <summary>The panel's identity: how it combines and who its members are (each member's id already hashes its config and prompt).</summary>
    public static string Id(PanelCombine combine, IEnumerable<string> memberIds) =>
        Hashing.Sha256Hex(["panel", combine.ToString(), .. memberIds.OrderBy(x => x, StringComparer.Ordinal)]);

    /// <summary>The panel's grade of one sample from its members' grades of the same answer.</summary>
    public static GradeRecord Combine(string sampleId, string panelId, string panelName, PanelCombine combine,
        IReadOnlyList<GradeRecord> members, string answerHash, DateTimeOffset at)
    {
        var usage = members.Aggregate(UsageTotals.Zero, (u, g) => new UsageTotals(u.InputTokens + g.Usage.InputTokens,
            u.OutputTokens + g.Usage.OutputTokens, u.CostUsd + g.Usage.CostUsd, u.Calls + g.Usage.Calls));
        var seconds = members.Sum(g => g.Seconds);
        var failed = members.Where(g => g.Status != GradeStatus.Graded || g.Points is null).ToList();
        if (failed.Count > 0)
            return new GradeRecord(sampleId, panelId, panelName, GradeStatus.Failed, null, 7, null, null, "panel", null, usage,
                "no verdict from " + string.Join(", ", failed.Select(g => g.JudgeName)), at, answerHash, seconds);
        // Members may differ in maximum points only in theory (all grade out of 7); combine fractions to be safe.
        var fractions = members.Select(g => g.Points!.Value / g.MaxPoints).ToList();
        var fraction = combine == PanelCombine.Min ? fractions.Min() : fractions.Average();
        var desc = $"{combine.ToString().ToLowerInvariant()} of " + string.Join(", ",
            members.Select(g => $"{g.JudgeName}: {g.Points!.Value.ToString("0.##", CultureInfo.InvariantCulture)}"));
        return new GradeRecord(sampleId, panelId, panelName, GradeStatus.Graded, fraction * 7, 7, desc, null, "panel", null, usage, null, at,
            answerHash, seconds);
    }
}
