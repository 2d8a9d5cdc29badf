using System.Diagnostics;
using Qed.Viewer.ReadModel;
using Xunit.Abstractions;

namespace Qed.Viewer.Tests.Viewer;

/// <summary>One store holding a single run of 10,000 graded samples (2,500 problems × 4), served on loopback.</summary>
public sealed class LargeRunFixture : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "qed-viewer-large-" + Guid.NewGuid().ToString("N"));
    private ViewerApp? _app;
    private readonly HttpClient _http = new();

    public HttpClient Http => _http;
    public long SeedMilliseconds { get; private set; }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var db = Path.Combine(_dir, "qed.db");
        var clock = Stopwatch.StartNew();
        await SeededStore.WriteAsync(db, [SeedData.Large("run-10k", problems: 2500, perProblem: 4)]);
        SeedMilliseconds = clock.ElapsedMilliseconds;
        _app = ViewerApp.Create(new RunStoreResults(db), new ViewerOptions("127.0.0.1", 0, 50));
        await _app.StartAsync(CancellationToken.None);
        _http.BaseAddress = _app.Address;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

}

/// <summary>A run of 10,000 samples stays responsive: every page is one page of rows computed in SQL.</summary>
public sealed class LargeRunTests(LargeRunFixture fixture, ITestOutputHelper output) : IClassFixture<LargeRunFixture>
{
    private HttpClient _http => fixture.Http;

    [Theory]
    [InlineData("/", ">10000<")]
    [InlineData("/runs/run-10k", "2500 problems")]
    [InlineData("/runs/run-10k?page=40", "page 40 of 50")]
    [InlineData("/runs/run-10k?level=Advanced&category=Combinatorics&min=20&page=2", "problems")]
    [InlineData("/runs/run-10k?status=ok&q=proof+2499.3", "1 problems")]
    [InlineData("/runs/run-10k?q=Proof+24%5B0-9%5D%7B2%7D%5C.0&regex=1", "100 problems")]
    [InlineData("/runs/run-10k/problems/L-01234", "Sample 3")]
    public async Task Pages_of_a_10000_sample_run_answer_quickly(string path, string expected)
    {
        output.WriteLine($"(store seeded with 10,000 samples in {fixture.SeedMilliseconds} ms)");
        await _http.GetStringAsync(path); // warm-up: JIT and SQLite page cache
        var clock = Stopwatch.StartNew();
        var html = await _http.GetStringAsync(path);
        clock.Stop();
        output.WriteLine($"GET {path}: {clock.ElapsedMilliseconds} ms, {html.Length / 1024} KiB");
        html.Should().Contain(expected);
        // Deterministic evidence of server-side paging: a page carries at most one page of rows, whatever the run size.
        System.Text.RegularExpressions.Regex.Matches(html, "class=\"problem-link\"").Count.Should().BeLessThanOrEqualTo(50);
        html.Length.Should().BeLessThan(64 * 1024);
        // Generous, so a loaded 2-core CI machine does not flake; typical figures are printed above.
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "a page of a 10,000-sample run is one page of rows");
    }
}
