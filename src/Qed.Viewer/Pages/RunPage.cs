using System.Globalization;
using System.Text;
using Qed.Viewer.ReadModel;
using static Qed.Viewer.Pages.Html;

namespace Qed.Viewer.Pages;

/// <summary>A run's problem table with its filters; the store does the filtering and paging.</summary>
internal static class RunPage
{
    public static string Render(RunSummary run, IReadOnlyList<Qed.Stats.EvalStats> judged, JudgeChoice judges, ProblemFacets facets,
        ProblemQuery query, Paged<ProblemRow>? problems, string? searchError)
    {
        var judgeParam = judges.Chosen ? judges.Shown?.Name : null;
        var sb = new StringBuilder();
        sb.Append($"<h1>Run {Id(run.RunId)}</h1>");
        sb.Append($"<p class=\"meta\">{E(RunLabel(run))} · {run.Samples} samples · "
                  + $"{E(Cost(run.Usage.CostUsd))} solving + {E(Cost(run.JudgeCostUsd))} judging · {E(Tokens(run.Usage.InputTokens))} in / {E(Tokens(run.Usage.OutputTokens))} out</p>");
        sb.Append("<h2>Scores, one per judge</h2>");
        sb.Append(LeaderboardPage.Table(judged, link: true, id: "run-judges"));
        if (judges.Shown is { } shown)
        {
            sb.Append($"<p class=\"judge-choice\" id=\"judge-choice\">Problem table, statuses and scores below: judge <b class=\"judge\">{E(shown.Name)}</b>");
            if (!judges.Chosen && judges.Judges.Count > 1) sb.Append(" (the run's first judge; none was chosen)");
            if (judges.Judges.Count > 1)
                sb.Append(" · show another judge: " + string.Join(" ", judges.Judges.Where(j => j.Id != shown.Id)
                    .Select(j => $"<a class=\"judge-link\" href=\"{E(Href(run.RunId, query with { Page = 1 }, j.Name))}\">{E(j.Name)}</a>")));
            sb.Append("</p>");
        }
        else sb.Append("<p class=\"judge-choice\" id=\"judge-choice\">No judge has graded this run yet.</p>");
        sb.Append($"<p>{Statuses(run.Statuses)}</p>");

        sb.Append($"<form class=\"filters\" method=\"get\" action=\"/runs/{U(run.RunId)}\">");
        if (judges.Judges.Count > 0)
            sb.Append(Select("judge", "Judge", judges.Judges.Select(j => j.Name).ToList(), judgeParam, judges.Judges.Count > 1 ? "first judge" : "the run's judge"));
        sb.Append(Select("level", "Level", facets.Levels, query.Level));
        sb.Append(Select("category", "Category", facets.Categories, query.Category));
        sb.Append(Select("status", "Status", facets.Statuses, query.Status));
        sb.Append($"<label>Score ≥ <input type=\"number\" name=\"min\" min=\"0\" max=\"100\" step=\"any\" size=\"4\" value=\"{E(Pct(query.MinScore))}\">%</label>");
        sb.Append($"<label>≤ <input type=\"number\" name=\"max\" min=\"0\" max=\"100\" step=\"any\" size=\"4\" value=\"{E(Pct(query.MaxScore))}\">%</label>");
        sb.Append($"<label>Search <input type=\"search\" name=\"q\" value=\"{E(query.Text)}\" placeholder=\"statement or proof text\"></label>");
        sb.Append($"<label><input type=\"checkbox\" name=\"regex\" value=\"1\"{(query.Regex ? " checked" : "")}> regex</label>");
        sb.Append("<button type=\"submit\">Filter</button> ");
        sb.Append($"<a href=\"/runs/{U(run.RunId)}\">clear</a></form>");

        if (searchError is not null)
        {
            sb.Append($"<p class=\"error\" id=\"search-error\">{E(searchError)}</p>");
            return Layout($"Run {run.RunId}", sb.ToString());
        }
        if (problems is null || problems.Total == 0)
        {
            sb.Append("<p class=\"empty\" id=\"no-problems\">No problem matches these filters.</p>");
            return Layout($"Run {run.RunId}", sb.ToString());
        }

        sb.Append($"<p class=\"count\" id=\"problem-count\">{problems.Total} problems</p>");
        sb.Append("""
            <table class="grid" id="problems">
            <thead><tr><th>Problem</th><th>Level</th><th>Category</th><th class="num">Samples</th><th class="num">Graded</th>
            <th class="num">Score</th><th>Statuses</th><th class="num">Output tokens</th></tr></thead><tbody>
            """);
        foreach (var p in problems.Items)
        {
            sb.Append("<tr>")
              .Append($"<td><a class=\"problem-link\" href=\"/runs/{U(run.RunId)}/problems/{U(p.ProblemId)}{(judgeParam is null ? "" : "?judge=" + U(judgeParam))}\">{E(p.ProblemId)}</a></td>")
              .Append($"<td>{E(p.Level ?? "—")}</td><td>{E(p.Category ?? "—")}</td>")
              .Append($"<td class=\"num\">{p.Samples}</td><td class=\"num\">{p.Graded}</td>")
              .Append($"<td class=\"num score\">{E(Percent(p.Score))}</td><td>{Statuses(p.Statuses)}</td>")
              .Append($"<td class=\"num\">{E(Tokens(p.OutputTokens))}</td>")
              .Append("</tr>");
        }
        sb.Append("</tbody></table>");
        sb.Append(Pager(problems.Page, problems.Pages, page => Href(run.RunId, query with { Page = page }, judgeParam)));
        return Layout($"Run {run.RunId}", sb.ToString());
    }

    public static string Href(string runId, ProblemQuery q, string? judge = null)
    {
        var parts = new List<string>();
        void Add(string key, string? value) { if (!string.IsNullOrEmpty(value)) parts.Add($"{key}={U(value)}"); }
        Add("judge", judge);
        Add("level", q.Level);
        Add("category", q.Category);
        Add("status", q.Status);
        Add("min", Pct(q.MinScore));
        Add("max", Pct(q.MaxScore));
        Add("q", q.Text);
        if (q.Regex) parts.Add("regex=1");
        if (q.Page > 1) parts.Add($"page={q.Page}");
        return $"/runs/{U(runId)}" + (parts.Count > 0 ? "?" + string.Join("&", parts) : "");
    }

    private static string Pct(double? fraction) =>
        fraction is { } f ? (f * 100).ToString("0.###", CultureInfo.InvariantCulture) : "";

    private static string Select(string name, string label, IReadOnlyList<string> values, string? selected, string none = "any")
    {
        var sb = new StringBuilder($"<label>{E(label)} <select name=\"{name}\"><option value=\"\">{E(none)}</option>");
        foreach (var v in values)
            sb.Append($"<option value=\"{E(v)}\"{(v == selected ? " selected" : "")}>{E(v)}</option>");
        return sb.Append("</select></label>").ToString();
    }
}
