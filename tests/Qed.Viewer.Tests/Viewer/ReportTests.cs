using Microsoft.Playwright;
using Qed.Viewer.ReadModel;
using Qed.Viewer.Report;

namespace Qed.Viewer.Tests.Viewer;

[Collection(ViewerCollection.Name)]
public class ReportTests(ViewerFixture fixture)
{
    private async Task<string> WriteReportAsync()
    {
        var html = await new StaticReport(new RunStoreResults(fixture.DbPath), new ReportCharts()).RenderAsync(CancellationToken.None);
        var path = Path.Combine(Path.GetDirectoryName(Browser.ScreenshotPath("x"))!, "..", "report.html");
        await File.WriteAllTextAsync(path, html);
        return Path.GetFullPath(path);
    }

    [Fact]
    public async Task Report_is_one_self_contained_file_with_tables_and_png_charts()
    {
        var html = await File.ReadAllTextAsync(await WriteReportAsync());
        html.Should().Contain("<table id=\"leaderboard\"").And.Contain("<table id=\"by-level\"").And.Contain("<table id=\"by-category\"");
        foreach (var figure in new[] { "score-by-level", "score-by-category", "score-vs-tokens", "cost-per-run", "scaling" })
            html.Should().Contain($"<figure id=\"{figure}\"><img alt=").And.Contain("src=\"data:image/png;base64,iVBORw0KGgo");
        html.Should().NotContain("<script").And.NotContain("src=\"http").And.NotContain("href=\"http").And.NotContain("<link ");
        html.Should().Contain("reasoning-cache");
    }

    [Fact]
    public void Scaling_curve_counts_a_sample_only_once_its_budget_fits()
    {
        SamplePoint P(double? score, long tokens) => new("r", "p", null, null, score, new UsageView(0, tokens, null));
        var curve = ScoreBreakdown.ScalingCurve([P(1, 100), P(0.5, 300), P(null, 50), P(1, 300), P(0, 1000)]);
        curve.Should().Equal(new BudgetPoint(100, 0.25), new BudgetPoint(300, 0.625), new BudgetPoint(1000, 0.625));
    }

    [Fact]
    public void Group_scores_ignore_ungraded_samples()
    {
        SamplePoint P(string level, double? score) => new("r", "p", level, null, score, UsageView.None);
        var scores = ScoreBreakdown.ByGroup([P("A", 1), P("A", 0), P("A", null), P("B", null)], p => p.Level);
        scores.Should().Equal(new GroupScore("r", "A", 0.5, 2));
    }

    [BrowserFact]
    public async Task Report_opens_offline_in_a_browser_with_every_chart_drawn()
    {
        var path = await WriteReportAsync();
        var page = await fixture.Browser!.Context.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        await page.GotoAsync(new Uri(path).AbsoluteUri);
        var widths = await page.EvaluateAsync<int[]>("() => Array.from(document.images).map(i => i.naturalWidth)");
        widths.Should().HaveCount(5).And.OnlyContain(w => w >= 800);
        requests.Should().OnlyContain(u => u.StartsWith("file:") || u.StartsWith("data:"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath("report"), FullPage = true });
        await page.CloseAsync();
    }
}

/// <summary>Issue 15.17: the report stays readable with 64-digit run ids and big numbers.</summary>
[Collection(ViewerCollection.Name)]
public class ReportLayoutTests(ViewerFixture fixture)
{
    private static int PngHeight(byte[] png) => (png[20] << 24) | (png[21] << 16) | (png[22] << 8) | png[23];

    [Fact]
    public async Task Long_run_ids_wrap_in_their_cell_and_charts_show_them_short()
    {
        var html = await new StaticReport(new RunStoreResults(fixture.DbPath), new ReportCharts()).RenderAsync(CancellationToken.None);
        html.Should().Contain($"<td class=\"id\">{SeedData.HashRunId}</td>", "the runs table keeps the whole id");
        html.Should().MatchRegex(@"td\.id \{[^}]*overflow-wrap: anywhere[^}]*max-width");
    }

    [Fact]
    public void Legends_get_their_own_room_below_the_plot()
    {
        var charts = new ReportCharts(900, 420);
        GroupScore S(string run, double score) => new(run, "Basic", score, 3);
        var labels = Enumerable.Range(0, 8).ToDictionary(i => $"r{i}", i => $"r{i}: some model · some benchmark");
        var one = charts.GroupedScores("t", "level", [S("r0", 0.5)], labels);
        var eight = charts.GroupedScores("t", "level", labels.Keys.Select(r => S(r, 0.5)).ToList(), labels);
        PngHeight(one).Should().Be(420, "a single run needs no legend");
        PngHeight(eight).Should().Be(charts.HeightWithLegend(8)).And.BeGreaterThanOrEqualTo(420 + 8 * 20, "each legend entry adds a line instead of shrinking the bars");
    }

    [Fact]
    public void Large_numbers_have_thousands_separators()
    {
        Qed.Viewer.Pages.Html.Tokens(9_999).Should().Be("9,999");
        Qed.Viewer.Pages.Html.Count(1_234_567).Should().Be("1,234,567");
        Qed.Viewer.Pages.Html.Cost(12_345.5m).Should().Be("$12,345.50");
        Qed.Viewer.Pages.Html.Cost(0.0041m).Should().Be("$0.0041");
    }
}
