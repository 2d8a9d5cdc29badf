using System.Text;
using Qed.Stats;
using Qed.Viewer.ReadModel;
using static Qed.Viewer.Pages.Html;

namespace Qed.Viewer.Pages;

/// <summary>Two runs of one benchmark side by side, problem by problem.</summary>
internal static class ComparePage
{
    public static string Render(RunSummary a, EvalStats? statsA, JudgeChoice judgeA, RunSummary b, EvalStats? statsB, JudgeChoice judgeB,
        Paged<ComparisonRow> rows)
    {
        string J(JudgeChoice c) => c.Shown is { } j ? E(j.Name) + (c.Chosen || c.Judges.Count < 2 ? "" : " <small>(first of " + c.Judges.Count + " judges)</small>") : "—";
        var judges = (judgeA.Chosen ? $"&ja={U(judgeA.Shown!.Name)}" : "") + (judgeB.Chosen ? $"&jb={U(judgeB.Shown!.Name)}" : "");
        // The side-by-side page shows the judge each column is scored by here.
        var sideJudges = (judgeA.Shown is { } sa ? $"&ja={U(sa.Name)}" : "") + (judgeB.Shown is { } sb2 ? $"&jb={U(sb2.Name)}" : "");
        var sb = new StringBuilder("<h1>Comparison</h1>");
        sb.Append("<table class=\"grid\" id=\"compare-summary\"><thead><tr><th></th><th>Run A</th><th>Run B</th></tr></thead><tbody>");
        sb.Append($"<tr><th>Run</th><td><a href=\"/runs/{U(a.RunId)}\">{Id(a.RunId)}</a></td><td><a href=\"/runs/{U(b.RunId)}\">{Id(b.RunId)}</a></td></tr>");
        sb.Append($"<tr><th>Model</th><td>{E(a.Model)}</td><td>{E(b.Model)}</td></tr>");
        sb.Append($"<tr><th>Scaffold</th><td>{E(a.Scaffold ?? "—")}</td><td>{E(b.Scaffold ?? "—")}</td></tr>");
        sb.Append($"<tr><th>Judge</th><td class=\"judge\">{J(judgeA)}</td><td class=\"judge\">{J(judgeB)}</td></tr>");
        sb.Append($"<tr><th>Score (as qed stats)</th><td class=\"score\">{E(statsA is null ? "—" : JudgedScore(statsA))}</td><td class=\"score\">{E(statsB is null ? "—" : JudgedScore(statsB))}</td></tr>");
        sb.Append($"<tr><th>Samples (graded)</th><td>{a.Samples} ({statsA?.Graded ?? 0})</td><td>{b.Samples} ({statsB?.Graded ?? 0})</td></tr>");
        sb.Append($"<tr><th>Cost (solve + judge)</th><td>{E(Cost(a.TotalCostUsd))}</td><td>{E(Cost(b.TotalCostUsd))}</td></tr>");
        sb.Append($"<tr><th>Tokens</th><td>{E(Tokens(a.Usage.TotalTokens))}</td><td>{E(Tokens(b.Usage.TotalTokens))}</td></tr>");
        sb.Append("</tbody></table>");

        sb.Append($"<h2>{E(a.Benchmark)}: {rows.Total} problems, largest differences first</h2>");
        sb.Append("<table class=\"grid\" id=\"compare\"><thead><tr><th>Problem</th><th>Level</th><th>Category</th>"
                  + "<th class=\"num\">Run A</th><th class=\"num\">Run B</th><th class=\"num\">B − A</th></tr></thead><tbody>");
        foreach (var r in rows.Items)
        {
            var delta = r.Delta;
            var cls = delta switch { > 0 => "better", < 0 => "worse", _ => "" };
            sb.Append("<tr>")
              .Append($"<td><a class=\"side-by-side-link\" href=\"/compare/{U(r.ProblemId)}?a={U(a.RunId)}&amp;b={U(b.RunId)}{E(sideJudges)}\">{E(r.ProblemId)}</a></td><td>{E(r.Level ?? "—")}</td><td>{E(r.Category ?? "—")}</td>")
              .Append($"<td class=\"num\"><a href=\"/runs/{U(a.RunId)}/problems/{U(r.ProblemId)}\">{E(Percent(r.ScoreA))}</a></td>")
              .Append($"<td class=\"num\"><a href=\"/runs/{U(b.RunId)}/problems/{U(r.ProblemId)}\">{E(Percent(r.ScoreB))}</a></td>")
              .Append($"<td class=\"num delta {cls}\">{(delta is { } d ? (d > 0 ? "+" : "") + E(Percent(d)) : "—")}</td>")
              .Append("</tr>");
        }
        sb.Append("</tbody></table>");
        sb.Append(Pager(rows.Page, rows.Pages, p => $"/compare?a={U(a.RunId)}&b={U(b.RunId)}{judges}&page={p}"));
        return Layout("Comparison", sb.ToString());
    }

    public static string Refusal(string message) =>
        Layout("Comparison", $"<h1>Comparison</h1><p class=\"error\" id=\"compare-error\">{E(message)}</p><p><a href=\"/\">back</a></p>");
}
