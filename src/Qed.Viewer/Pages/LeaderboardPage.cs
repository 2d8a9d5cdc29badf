using System.Text;
using Qed.Viewer.ReadModel;
using static Qed.Viewer.Pages.Html;

namespace Qed.Viewer.Pages;

/// <summary>The home page: the leaderboard, every run, and a form to compare two runs.</summary>
internal static class LeaderboardPage
{
    public static string Render(IReadOnlyList<RunSummary> runs)
    {
        var rows = Leaderboard.From(runs);
        var sb = new StringBuilder();
        sb.Append("<h1>Leaderboard</h1>");
        if (runs.Count == 0)
        {
            sb.Append("<p class=\"empty\">This run store holds no runs yet. Start one with <code>qed eval</code>.</p>");
            return Layout("Leaderboard", sb.ToString());
        }
        sb.Append("""
            <table class="grid" id="leaderboard">
            <thead><tr><th>Benchmark</th><th>Model</th><th>Scaffold</th><th class="num">Score (avg@k ± std)</th>
            <th class="num">Runs (k)</th><th>Run ids</th><th class="num">Cost (solve + judge)</th><th class="num">Tokens</th></tr></thead><tbody>
            """);
        foreach (var r in rows)
        {
            sb.Append("<tr>")
              .Append($"<td>{E(r.Benchmark)}</td><td>{E(r.Model)}</td><td>{E(r.Scaffold ?? "—")}</td>")
              .Append($"<td class=\"num score\">{E(PercentPm(r.ScoreMean, r.ScoreStd))}</td>")
              .Append($"<td class=\"num\">{r.Runs}</td>")
              .Append($"<td>{string.Join(", ", r.RunIds.Select(id => $"<a href=\"/runs/{U(id)}\">{Id(id)}</a>"))}</td>")
              .Append($"<td class=\"num\">{E(Cost(r.CostUsd))}</td><td class=\"num\">{E(Tokens(r.Tokens))}</td>")
              .Append("</tr>");
        }
        sb.Append("</tbody></table>");

        sb.Append("<h2>Runs</h2>");
        sb.Append("""
            <table class="grid" id="runs">
            <thead><tr><th>Run</th><th>Model</th><th>Benchmark</th><th>Scaffold</th><th>Started</th>
            <th class="num">Samples</th><th class="num">Graded</th><th class="num">Score ± std</th><th>Statuses</th>
            <th class="num">Cost (solve + judge)</th><th class="num">Tokens</th></tr></thead><tbody>
            """);
        foreach (var run in runs.OrderBy(r => r.Benchmark, StringComparer.Ordinal).ThenBy(r => r.StartedAt))
        {
            sb.Append("<tr>")
              .Append($"<td><a href=\"/runs/{U(run.RunId)}\">{Id(run.RunId)}</a></td>")
              .Append($"<td>{E(run.Model)}</td><td>{E(run.Benchmark)}</td><td>{E(run.Scaffold ?? "—")}</td>")
              .Append($"<td>{E(run.StartedAt?.ToString("yyyy-MM-dd HH:mm") ?? "—")}</td>")
              .Append($"<td class=\"num\">{run.Samples}</td><td class=\"num\">{run.Graded}</td>")
              .Append($"<td class=\"num score\">{E(PercentPm(run.Score, run.ScoreStd))}</td><td>{Statuses(run.Statuses)}</td>")
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
}
