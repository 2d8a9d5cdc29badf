namespace Qed.Viewer.Tests.Viewer;

public class SmokeTests
{
    [BrowserFact]
    public async Task Chromium_launches_offline()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = await browser.Context.NewPageAsync();
        await page.SetContentAsync("<h1>hi</h1>");
        (await page.TextContentAsync("h1")).Should().Be("hi");
    }
}
