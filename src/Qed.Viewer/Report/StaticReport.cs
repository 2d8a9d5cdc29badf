using System.Globalization;
using System.Text;
using Qed.Viewer.ReadModel;
using static Qed.Viewer.Pages.Html;

namespace Qed.Viewer.Report;

/// <summary>
/// <c>qed report</c>: one self-contained HTML file (inline CSS, charts as PNG data URIs, no script, nothing
/// fetched) with the leaderboard, every run, score by level and category, and the charts.
/// </summary>
public sealed class StaticReport(IRunResults results, ReportCharts charts)
{
    public async Task<string> RenderAsync(CancellationToken ct)
    {
        var runs = await results.RunsAsync(ct);
        var scores = Leaderboard.From(await results.ScoresAsync(null, ct));
        // Every chart series and breakdown row is one (run, judge): its points carry that judge's grades only.
        var series = new List<(string Key, RunSummary Run)>();
        var points = new List<SamplePoint>();
        var labels = new Dictionary<string, string>();
        var chartLabels = new Dictionary<string, string>();
        foreach (var run in runs)
        {
            var judges = scores.Where(x => x.Run.RunId == run.RunId).Select(x => x.Judge).ToList();
            if (judges.Count == 0) judges.Add(null);
            foreach (var judge in judges)
            {
                var key = judge is null ? run.RunId : $"{run.RunId} · judge {judge.Name}";
                series.Add((key, run));
                var scoped = judge is null ? results : results.ForJudge(judge.Id);
                points.AddRange((await scoped.SamplePointsAsync(run.RunId, ct)).Select(p => p with { RunId = key }));
                var judgeLabel = judge is null ? "" : $" · judge {judge.Name}";
                labels[key] = $"{run.RunId}: {RunLabel(run)}{judgeLabel}";
                // A 64-digit content-hash id would make a legend entry wider than the chart: charts show its first 12 digits.
                chartLabels[key] = $"{ShortId(run.RunId)}: {RunLabel(run)}{judgeLabel}";
            }
        }

        var sb = new StringBuilder();
        sb.Append($"<h1>Qed results report</h1><p class=\"meta\">{Count(runs.Count)} runs, {Count(runs.Sum(r => r.Samples))} samples, {Count(scores.Count(x => x.Judge is not null))} (run, judge) pairs, generated {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC.</p>");
        if (runs.Count == 0)
        {
            sb.Append("<p>This run store holds no runs.</p>");
            return Document(sb.ToString());
        }

        // One line per (run, judge), the numbers qed stats prints: nothing is pooled across runs or judges.
        sb.Append("<h2>Leaderboard</h2>");
        sb.Append(Pages.LeaderboardPage.Table(scores, link: false, tableClass: null));

        sb.Append("<h2>Runs</h2><table id=\"runs\"><thead><tr><th>Run</th><th>Model</th><th>Benchmark</th><th>Scaffold</th><th class=\"num\">Samples</th>"
                  + "<th>Statuses</th><th class=\"num\">Cost (solve + judge)</th><th class=\"num\">Input tokens</th><th class=\"num\">Output tokens</th></tr></thead><tbody>");
        foreach (var run in runs)
            sb.Append($"<tr><td class=\"id\">{E(run.RunId)}</td><td>{E(run.Model)}</td><td>{E(run.Benchmark)}</td><td>{E(run.Scaffold ?? "—")}</td>"
                      + $"<td class=\"num\">{Count(run.Samples)}</td>"
                      + $"<td>{E(string.Join(", ", run.Statuses.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key} {s.Value}")))}</td>"
                      + $"<td class=\"num\">{E(Cost(run.TotalCostUsd))}</td><td class=\"num\">{Count(run.Usage.InputTokens)}</td><td class=\"num\">{Count(run.Usage.OutputTokens)}</td></tr>");
        sb.Append("</tbody></table>");

        Breakdown(sb, "level", "Score by level", ScoreBreakdown.ByGroup(points, p => p.Level), series.Select(x => x.Key).ToList(), labels, chartLabels);
        Breakdown(sb, "category", "Score by category", ScoreBreakdown.ByGroup(points, p => p.Category), series.Select(x => x.Key).ToList(), labels, chartLabels);

        sb.Append("<h2>Score vs output tokens</h2>");
        if (points.Any(p => p.Score is not null))
            Figure(sb, "score-vs-tokens", charts.ScoreVsOutputTokens(points, chartLabels), "Score of each graded sample against the output tokens it used");
        else
            sb.Append("<p class=\"empty\">No graded samples yet.</p>");

        sb.Append("<h2>Cost per run</h2>");
        var costs = runs.Select(r => (ShortId(r.RunId), (double)r.TotalCostUsd)).ToList();
        Figure(sb, "cost-per-run", charts.CostPerRun(costs), "Cost of each run in US dollars (solving + judging; models without a configured price count as $0)");

        var scaffoldRuns = series.Where(x => !string.IsNullOrEmpty(x.Run.Scaffold)).ToList();
        if (scaffoldRuns.Count > 0)
        {
            sb.Append("<h2>Test-time scaling</h2>");
            var curves = scaffoldRuns
                .Select(r => (chartLabels[r.Key], ScoreBreakdown.ScalingCurve(points.Where(p => p.RunId == r.Key))))
                .Where(c => c.Item2.Count > 0)
                .Select(c => (c.Item1, (IReadOnlyList<BudgetPoint>)c.Item2))
                .ToList();
            if (curves.Count > 0)
            {
                Figure(sb, "scaling", charts.ScalingCurves(curves), "Score against token budget per sample for scaffold runs");
                sb.Append("<p class=\"meta\">At a budget B, a sample counts with its grade if all its tokens (every scaffold step, input and output) fit in B, and as 0 otherwise; the curve ends at the run's score.</p>");
            }
            else
                sb.Append("<p class=\"empty\">No graded samples in scaffold runs yet.</p>");
        }
        return Document(sb.ToString());
    }

    private static string ShortId(string id) => id.Length > 16 ? id[..12] + "…" : id;

    private void Breakdown(StringBuilder sb, string id, string title, IReadOnlyList<GroupScore> scores, IReadOnlyList<string> keys,
        IReadOnlyDictionary<string, string> labels, IReadOnlyDictionary<string, string> chartLabels)
    {
        sb.Append($"<h2>{E(title)}</h2>");
        if (scores.Count == 0)
        {
            sb.Append("<p class=\"empty\">No graded samples yet.</p>");
            return;
        }
        var groups = scores.Select(s => s.Group).Distinct().OrderBy(g => g, StringComparer.Ordinal).ToList();
        var runIds = keys.Where(k => scores.Any(s => s.RunId == k)).ToList();
        sb.Append($"<table id=\"by-{id}\"><thead><tr><th>Run · judge</th>");
        foreach (var g in groups) sb.Append($"<th class=\"num\">{E(g)}</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var runId in runIds)
        {
            sb.Append($"<tr><td class=\"id\">{E(labels[runId])}</td>");
            foreach (var g in groups)
            {
                var s = scores.FirstOrDefault(x => x.RunId == runId && x.Group == g);
                sb.Append(s is null ? "<td class=\"num\">—</td>" : $"<td class=\"num\">{E(Percent(s.Score))} <small>(n={s.Graded})</small></td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</tbody></table>");
        Figure(sb, $"score-by-{id}", charts.GroupedScores(title, id, scores, chartLabels), title);
    }

    private static void Figure(StringBuilder sb, string id, byte[] png, string caption) =>
        sb.Append($"<figure id=\"{id}\"><img alt=\"{E(caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"><figcaption>{E(caption)}</figcaption></figure>");

    private static string Document(string body) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <title>Qed results report</title>
        <style>
        body { font: 15px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #1d232b; max-width: 1100px; margin: 1rem auto 4rem; padding: 0 1.5rem; }
        h2 { border-bottom: 1px solid #d9dee4; padding-bottom: .2rem; margin-top: 2rem; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1rem; }
        th, td { border: 1px solid #d9dee4; padding: .25rem .5rem; text-align: left; vertical-align: top; }
        thead th { background: #eef2f6; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        /* 64-digit run ids wrap inside their cell instead of pushing the table past the page. */
        td.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .8rem; overflow-wrap: anywhere; word-break: break-all; max-width: 16rem; }
        .meta { color: #5c6773; } .empty { color: #5c6773; font-style: italic; }
        figure { margin: 1rem 0; } figure img { max-width: 100%; border: 1px solid #d9dee4; }
        figcaption { color: #5c6773; font-size: .85rem; }
        </style>
        </head>
        <body>
        {{body}}
        </body>
        </html>
        """;
}
