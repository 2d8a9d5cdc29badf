using System.Text;
using Qed.Stats;
using Qed.Viewer.ReadModel;
using static Qed.Viewer.Pages.Html;

namespace Qed.Viewer.Pages;

/// <summary>The home page: the leaderboard (one line per (run, judge)), every run's samples and spend, and a form to compare two runs.</summary>
internal static class LeaderboardPage
{
    public static string Render(IReadOnlyList<EvalStats> scores, IReadOnlyList<RunSummary> runs)
    {
        var sb = new StringBuilder();
        sb.Append("<h1>Leaderboard</h1>");
        if (runs.Count == 0)
        {
            sb.Append("<p class=\"empty\">This run store holds no runs yet. Start one with <code>qed eval</code>.</p>");
            return Layout("Leaderboard", sb.ToString());
        }
        sb.Append("<p class=\"meta\">One line per (run, judge), scored as <code>qed stats</code> scores it: every planned sample counts, "
                  + "the score is the mean over sample indexes of their means and ± the sample std (ddof 1) of those means.</p>");
        sb.Append(Table(Leaderboard.From(scores), link: true));

        sb.Append("<h2>Runs</h2>");
        sb.Append("""
            <table class="grid" id="runs">
            <thead><tr><th>Run</th><th>Model</th><th>Benchmark</th><th>Scaffold</th><th>Started</th>
            <th class="num">Samples</th><th>Statuses</th>
            <th class="num">Cost (solve + every judge)</th><th class="num">Tokens</th></tr></thead><tbody>
            """);
        foreach (var run in runs.OrderBy(r => r.Benchmark, StringComparer.Ordinal).ThenBy(r => r.StartedAt))
        {
            sb.Append("<tr>")
              .Append($"<td><a href=\"/runs/{U(run.RunId)}\">{Id(run.RunId)}</a></td>")
              .Append($"<td>{E(run.Model)}</td><td>{E(run.Benchmark)}</td><td>{E(run.Scaffold ?? "—")}</td>")
              .Append($"<td>{E(run.StartedAt?.ToString("yyyy-MM-dd HH:mm") ?? "—")}</td>")
              .Append($"<td class=\"num\">{run.Samples}</td><td>{Statuses(run.Statuses)}</td>")
              .Append($"<td class=\"num\">{E(Cost(run.TotalCostUsd))}</td><td class=\"num\">{E(Tokens(run.Usage.TotalTokens))}</td>")
              .Append("</tr>");
        }
        sb.Append("</tbody></table>");

        sb.Append("<h2>Compare two runs</h2><form class=\"compare\" method=\"get\" action=\"/compare\">");
        foreach (var name in new[] { "a", "b" })
        {
            sb.Append($"<label>Run {name.ToUpperInvariant()} <select name=\"{name}\">");
            foreach (var run in runs)
                sb.Append($"<option value=\"{E(run.RunId)}\">{E(run.RunId.Length > 16 ? run.RunId[..12] + "…" : run.RunId)} — {E(RunLabel(run))}</option>");
            sb.Append("</select></label> ");
        }
        sb.Append("<button type=\"submit\">Compare</button></form>");
        return Layout("Leaderboard", sb.ToString());
    }

    /// <summary>The (run, judge) table, shared by the leaderboard and a run's page (where it lists that run's judges).</summary>
    public static string Table(IReadOnlyList<EvalStats> rows, bool link, string id = "leaderboard", string? tableClass = "grid")
    {
        var sb = new StringBuilder();
        sb.Append($"""
            <table{(tableClass is null ? "" : $" class=\"{tableClass}\"")} id="{id}">
            <thead><tr><th>Run</th><th>Benchmark</th><th>Model</th><th>Scaffold</th><th>Protocol</th><th>Judge</th>
            <th class="num">Score (avg@k ± std)</th><th class="num">Problems × samples</th>
            <th class="num">Graded / failed / grade_failed / pending</th><th class="num">Output tokens</th><th class="num">Cost (solve + judge)</th></tr></thead><tbody>
            """);
        foreach (var s in rows)
        {
            var href = $"/runs/{U(s.Run.RunId)}" + (s.Judge is { } j ? $"?judge={U(j.Name)}" : "");
            sb.Append($"<tr data-run=\"{E(s.Run.RunId)}\" data-judge=\"{E(s.Judge?.Name ?? "")}\">")
              .Append($"<td class=\"run\">{(link ? $"<a href=\"{E(href)}\">{E(RunSelection.ShortId(s.Run.RunId))}</a>" : E(RunSelection.ShortId(s.Run.RunId)))}</td>")
              .Append($"<td>{E(s.Run.Benchmark)}</td><td>{E(s.Run.ModelName)}</td><td>{E(s.Run.ScaffoldName is { Length: > 0 } sc ? sc : "—")}</td><td>{E(s.Run.Protocol)}</td>")
              .Append($"<td class=\"judge\">{E(s.Judge?.Name ?? "—")}</td>")
              .Append($"<td class=\"num score\">{E(JudgedScore(s))}</td>")
              .Append($"<td class=\"num\">{s.Problems} × {s.SamplesPerProblem}</td>")
              .Append($"<td class=\"num\">{s.Graded} / {s.Failed} / {s.GradeFailed} / {s.Pending}</td>")
              .Append($"<td class=\"num\">{E(Tokens(s.OutputTokens))}</td><td class=\"num\">{E(Cost((decimal)s.CostUsd))}</td>")
              .Append("</tr>");
        }
        sb.Append("</tbody></table>");
        if (rows.Any(s => s.Judge is not null && !s.Complete)) sb.Append($"<p class=\"meta incomplete\">{IncompleteNote}</p>");
        return sb.ToString();
    }
}
