using Microsoft.Playwright;

namespace Qed.Viewer.Tests.Viewer;

/// <summary>Debian's chromium driven by Playwright: headless, sandbox off (containers), no background
/// traffic, a fresh profile per browser. Playwright's own browser download is never used.</summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowserContext _context;
    private readonly string _profile;

    private Browser(IPlaywright playwright, IBrowserContext context, string profile)
    {
        _playwright = playwright;
        _context = context;
        _profile = profile;
    }

    public IBrowserContext Context => _context;

    /// <summary>Null when chromium is installed; otherwise why browser tests cannot run here.</summary>
    public static string? MissingReason =>
        File.Exists(ChromiumPath) ? null : $"needs Debian's chromium at {ChromiumPath} (apt-get install chromium; .ci/run installs it in CI)";

    public static async Task<Browser> LaunchAsync()
    {
        var profile = Path.Combine(Path.GetTempPath(), "qed-viewer-chromium-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(profile);
        var playwright = await Playwright.CreateAsync();
        var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"],
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        return new Browser(playwright, context, profile);
    }

    public static string ScreenshotPath(string name)
    {
        var dir = Path.Combine(Qed.Testing.RepoPaths.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name + ".png");
    }

    public async ValueTask DisposeAsync()
    {
        await _context.CloseAsync();
        _playwright.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A fact that needs chromium: reports itself skipped, with the reason, where it is absent.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (Browser.MissingReason is { } reason) Skip = reason;
    }
}
