using Microsoft.Playwright;

namespace Qed.Viewer.Tests.Viewer;

/// <summary>The viewer's pages in a real browser (Debian chromium via Playwright) over a seeded run store.</summary>
[Collection(ViewerCollection.Name)]
public class ViewerPageTests(ViewerFixture fixture)
{
    private async Task<IPage> OpenAsync(string path)
    {
        var page = await fixture.Browser!.Context.NewPageAsync();
        var response = await page.GotoAsync(new Uri(fixture.Address, path).ToString());
        response!.Status.Should().Be(200, $"GET {path} should succeed");
        return page;
    }

    private static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Browser.ScreenshotPath(name), FullPage = true });

    [BrowserFact]
    public async Task Leaderboard_shows_one_line_per_run_and_judge()
    {
        var page = await OpenAsync("/");
        var rows = page.Locator("#leaderboard tbody tr");
        (await rows.CountAsync()).Should().Be(5); // one judge each: base, nano, nano+rc on proofbench-imo; nano on proofbench; large
        var nano = rows.Filter(new() { HasText = "reasoning-cache" });
        (await nano.CountAsync()).Should().Be(1);
        (await nano.InnerTextAsync()).Should().Contain("qed-nano").And.Contain("imo-proofbench");
        (await page.Locator("#runs tbody tr").CountAsync()).Should().Be(5);
        await ScreenshotAsync(page, "leaderboard");

        // Content-hash run ids are shortened for reading; links and hover keep the whole id.
        var hashLink = page.Locator($"#runs a[href='/runs/{SeedData.HashRunId}']");
        (await hashLink.InnerTextAsync()).Should().Be(SeedData.HashRunId[..12] + "…");
        (await hashLink.Locator("span.id").GetAttributeAsync("title")).Should().Be(SeedData.HashRunId);
        await hashLink.ClickAsync();
        var slashLink = page.Locator("a.problem-link", new() { HasText = SeedData.SlashProblemId });
        (await slashLink.GetAttributeAsync("href")).Should().EndWith("/problems/ISL-2023%2FA1");
        await slashLink.ClickAsync();
        (await page.Locator("h1").InnerTextAsync()).Should().Be(SeedData.SlashProblemId);
        (await page.Locator(".statement").InnerTextAsync()).Should().Contain("irrational");
        await page.CloseAsync();
    }

    [BrowserFact]
    public async Task Run_page_filters_by_level_category_status_score_and_text()
    {
        var page = await OpenAsync("/runs/run-base");
        (await page.Locator("#problems tbody tr").CountAsync()).Should().Be(6);
        await ScreenshotAsync(page, "run-table");

        await page.SelectOptionAsync("select[name=level]", "Advanced");
        await page.ClickAsync("form.filters button[type=submit]");
        (await page.Locator("#problems tbody tr").CountAsync()).Should().Be(2);
        (await page.Locator("#problems").InnerTextAsync()).Should().Contain("PB-Adv-001").And.NotContain("PB-Basic");

        await page.GotoAsync(new Uri(fixture.Address, "/runs/run-base?category=Algebra").ToString());
        (await page.Locator("#problems tbody tr").CountAsync()).Should().Be(3);

        await page.GotoAsync(new Uri(fixture.Address, "/runs/run-base?status=grade_failed").ToString());
        (await page.Locator("a.problem-link").AllInnerTextsAsync()).Should().Equal("PB-Adv-001");

        await page.GotoAsync(new Uri(fixture.Address, "/runs/run-base?status=failed").ToString());
        (await page.Locator("a.problem-link").AllInnerTextsAsync()).Should().Equal("PB-Basic-003");

        // Scores per problem in run-base: 001 (0,0,0)=0, 002 (1,0,0-truncated)=1/21, 003 (7,6)=13/14, 004 (6,5,6)=17/21, Adv-001 (0,0)=0, Adv-002 (7,6,7)=20/21
        await page.GotoAsync(new Uri(fixture.Address, "/runs/run-base?min=80").ToString());
        (await page.Locator("a.problem-link").AllInnerTextsAsync()).Should().Equal("PB-Adv-002", "PB-Basic-003", "PB-Basic-004");
        await page.GotoAsync(new Uri(fixture.Address, "/runs/run-base?min=0&max=10").ToString());
        (await page.Locator("a.problem-link").AllInnerTextsAsync()).Should().Equal("PB-Adv-001", "PB-Basic-001", "PB-Basic-002");

        await page.FillAsync("input[name=q]", "DIVISIBLE by");
        await page.ClickAsync("form.filters button[type=submit]");
        (await page.Locator("a.problem-link").AllInnerTextsAsync()).Should().Equal("PB-Basic-002");
        await page.CloseAsync();
    }

    [BrowserFact]
    public async Task Regex_search_matches_and_a_runaway_pattern_is_stopped()
    {
        var page = await OpenAsync("/runs/run-base?q=" + Uri.EscapeDataString(@"median|\bCeva") + "&regex=1");
        (await page.Locator("a.problem-link").AllInnerTextsAsync()).Should().Equal("PB-Basic-003");

        page = await OpenAsync("/runs/run-large?q=" + Uri.EscapeDataString("(a+)+$") + "&regex=1");
        (await page.Locator("#search-error").InnerTextAsync()).Should().Contain("regular expression took longer than");

        page = await OpenAsync("/runs/run-base?q=" + Uri.EscapeDataString("([unclosed") + "&regex=1");
        (await page.Locator("#search-error").InnerTextAsync()).Should().Contain("Not a valid regular expression");
        await page.CloseAsync();
    }

    [BrowserFact]
    public async Task Problem_table_pages_on_the_server()
    {
        var page = await OpenAsync("/runs/run-large");
        (await page.Locator("#problem-count").InnerTextAsync()).Should().Be("120 problems");
        (await page.Locator("#problems tbody tr").CountAsync()).Should().Be(ViewerFixture.PageSize);
        (await page.Locator(".page-of").InnerTextAsync()).Should().Be("page 1 of 3");
        await page.ClickAsync("a[rel=next]");
        (await page.Locator(".page-of").InnerTextAsync()).Should().Be("page 2 of 3");
        (await page.Locator("a.problem-link").First.InnerTextAsync()).Should().Be("L-00050");
        await page.ClickAsync("a[rel=next]");
        (await page.Locator("#problems tbody tr").CountAsync()).Should().Be(20);
        (await page.Locator("a[rel=next]").CountAsync()).Should().Be(0);

        // Filters survive paging.
        await page.GotoAsync(new Uri(fixture.Address, "/runs/run-large?level=Basic&page=2").ToString());
        (await page.Locator(".page-of").InnerTextAsync()).Should().Be("page 2 of 2");
        (await page.Locator("a[rel=prev]").GetAttributeAsync("href")).Should().Be("/runs/run-large?level=Basic");
        await page.CloseAsync();
    }

    [BrowserFact]
    public async Task Problem_page_renders_statement_reference_proofs_verdicts_and_math()
    {
        var page = await OpenAsync("/runs/run-base/problems/PB-Basic-002");
        await page.WaitForSelectorAsync("html[data-math=ready]");
        (await page.Locator(".statement .katex").CountAsync()).Should().BeGreaterThan(0);
        (await page.Locator(".proof .katex-display").CountAsync()).Should().BeGreaterThan(0, "display math ($$ and align*) renders");
        (await page.Locator(".tex-error, .katex-error").CountAsync()).Should().Be(0);
        (await page.Locator("section.sample").CountAsync()).Should().Be(3);
        (await page.Locator("section.sample.status-truncated").CountAsync()).Should().Be(1);
        (await page.Locator(".verdict").First.InnerTextAsync()).Should().Contain("Judge verdict (gpt-oss-20b): 1 / 7").And.Contain("Minor gap");
        (await page.Locator("details.reference.reference summary").AllInnerTextsAsync()).Should().Contain("Reference solution");
        await page.ClickAsync("details.reference >> text=Reference solution");
        // The toggle event that renders math inside a details fires asynchronously after the click.
        await page.WaitForSelectorAsync("details.reference[open] .katex", new() { Timeout = 10_000 });
        (await page.Locator("details.reference[open] .katex").CountAsync()).Should().BeGreaterThan(0, "math inside a details renders when opened");
        await ScreenshotAsync(page, "problem");

        var failed = await OpenAsync("/runs/run-base/problems/PB-Basic-003");
        (await failed.Locator("section.status-failed pre.error").InnerTextAsync()).Should().Contain("503");
        var gradeFailed = await OpenAsync("/runs/run-base/problems/PB-Adv-001");
        // Each grade names its judge (a run may have several).
        (await gradeFailed.Locator("section.status-grade_failed .points").InnerTextAsync()).Should().Be("gpt-oss-20b: grade_failed");
        await page.CloseAsync();
        await failed.CloseAsync();
        await gradeFailed.CloseAsync();
    }

    [BrowserFact]
    public async Task Scaffold_steps_form_a_collapsible_timeline_with_messages_and_usage()
    {
        var page = await OpenAsync("/runs/run-rc/problems/PB-Basic-001");
        var timeline = page.Locator("section.sample").First.Locator("details.timeline");
        (await timeline.Locator("summary").First.InnerTextAsync()).Should().Be("Scaffold steps (3)");
        (await timeline.Locator("li.step").CountAsync()).Should().Be(3);
        (await timeline.Locator("li.step").First.IsVisibleAsync()).Should().BeFalse("the timeline starts collapsed");
        await timeline.Locator("summary").First.ClickAsync();
        var step2 = timeline.Locator("li.step").Nth(1);
        (await step2.Locator("summary").InnerTextAsync()).Should().Contain("summarize").And.Contain("21k in · 800 out");
        (await step2.Locator(".message").CountAsync()).Should().Be(0, "a step's messages are fetched only when it is opened");
        await step2.Locator("summary").ClickAsync();
        await step2.Locator("details[data-loaded='1']").WaitForAsync();
        (await step2.Locator(".message.role-user").InnerTextAsync()).Should().Contain("Summarise the attempt.");
        (await step2.Locator(".message.role-assistant .katex").CountAsync()).Should().Be(1);
        await ScreenshotAsync(page, "scaffold-steps");

        // The fragment endpoint only answers for a step of the run named in the path.
        var src = await step2.Locator("details").GetAttributeAsync("data-step-src");
        src.Should().StartWith("/runs/run-rc/steps?sample=");
        var other = await page.APIRequest.GetAsync(new Uri(fixture.Address, src!.Replace("/runs/run-rc/", "/runs/run-base/")).ToString());
        other.Status.Should().Be(404);
        await page.CloseAsync();
    }

    [BrowserFact]
    public async Task Hostile_proof_executes_nothing_and_loads_nothing_remote()
    {
        var page = await fixture.Browser!.Context.NewPageAsync();
        var dialogs = 0;
        page.Dialog += async (_, d) => { dialogs++; await d.DismissAsync(); };
        var requests = new List<string>();
        page.Request += (_, r) => requests.Add(r.Url);
        var cspViolations = new List<string>();
        page.Console += (_, m) => { if (m.Text.Contains("Content Security Policy")) cspViolations.Add(m.Text); };

        var response = await page.GotoAsync(new Uri(fixture.Address, $"/runs/run-base/problems/{SeedData.XssProblemId}").ToString());
        response!.Headers["content-security-policy"].Should().Contain("script-src 'self'");
        await page.WaitForSelectorAsync("html[data-math=ready]");
        var hostile = page.Locator("section.sample").First;
        (await hostile.Locator(".proof").InnerTextAsync()).Should().Contain("<script>window.__pwned", "raw HTML is shown as text");
        (await hostile.Locator(".proof img, .proof script, .proof iframe, .proof svg").CountAsync()).Should().Be(0);

        foreach (var link in await hostile.Locator(".proof a").AllAsync())
        {
            var href = await link.GetAttributeAsync("href");
            (href is null || href == "" || href.StartsWith("http://") || href.StartsWith("https://")).Should().BeTrue($"link target {href} is not allowed");
        }
        // Clicking the would-be javascript: link does nothing either.
        await hostile.Locator(".proof a", new() { HasText = "click for the lemma" }).ClickAsync();
        await page.WaitForTimeoutAsync(300);

        (await page.EvaluateAsync<bool>("() => typeof window.__pwned === 'undefined'")).Should().BeTrue();
        dialogs.Should().Be(0);
        requests.Should().OnlyContain(u => u.StartsWith(fixture.Address.ToString()), "nothing is fetched from anywhere but the viewer");
        (await hostile.Locator(".katex").CountAsync()).Should().BeGreaterThan(0, "the legitimate math still renders");
        await ScreenshotAsync(page, "hostile-proof");
        await page.CloseAsync();
    }

    [BrowserFact]
    public async Task Comparison_puts_two_runs_of_one_benchmark_side_by_side()
    {
        var page = await OpenAsync("/");
        await page.SelectOptionAsync("select[name=a]", "run-base");
        await page.SelectOptionAsync("select[name=b]", "run-nano");
        await page.ClickAsync("form.compare button");
        await page.WaitForSelectorAsync("#compare");
        (await page.Locator("#compare tbody tr").CountAsync()).Should().Be(6);
        // Largest difference first: PB-Basic-001 goes from 0% to (7+6+7)/21.
        var first = page.Locator("#compare tbody tr").First;
        (await first.InnerTextAsync()).Should().Contain("PB-Basic-001").And.Contain("+95.2%");
        await ScreenshotAsync(page, "compare");

        // Each problem opens with both runs' proofs side by side.
        await first.Locator("a.side-by-side-link").ClickAsync();
        await page.WaitForSelectorAsync("html[data-math=ready]");
        (await page.Locator("#column-a section.sample").CountAsync()).Should().Be(3);
        (await page.Locator("#column-b section.sample").CountAsync()).Should().Be(3);
        (await page.Locator("#column-a h2").InnerTextAsync()).Should().Contain("run-base");
        (await page.Locator("#column-b h2").InnerTextAsync()).Should().Contain("run-nano");
        (await page.Locator("#column-b .proof .katex").CountAsync()).Should().BeGreaterThan(0);
        await ScreenshotAsync(page, "compare-problem");

        var refused = await fixture.Browser!.Context.NewPageAsync();
        var response = await refused.GotoAsync(new Uri(fixture.Address, $"/compare?a=run-base&b={SeedData.HashRunId}").ToString());
        response!.Status.Should().Be(400);
        (await refused.Locator("#compare-error").InnerTextAsync()).Should().Contain("different benchmarks");
        await page.CloseAsync();
        await refused.CloseAsync();
    }
}
