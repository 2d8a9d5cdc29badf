using System.Diagnostics;
using System.Text.RegularExpressions;
using Qed.Benchmarks;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Cli.Tests.Viewer;

/// <summary>`qed view` and `qed report` as a user runs them: a real process over a real run store.</summary>
public sealed class ViewerCommandTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "qed-cli-viewer-" + Guid.NewGuid().ToString("N"));
    private string Db => Path.Combine(_dir, "qed.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        await using var store = await RunStore.OpenAsync(Db);
        await store.EnsureRunAsync(new RunInfo("run-1", "imo-proofbench", "proof", "qed-nano", "{}", null, null, "h", DateTimeOffset.UtcNow));
        for (var i = 0; i < 2; i++)
        {
            var id = $"run-1/P1/{i}";
            await store.EnsureSampleAsync(id, "run-1", new Problem("P1", "Prove $1 + 1 = 2$.", Level: "Basic", Category: "Algebra"), i);
            await store.CompleteSampleAsync(id, SampleStatus.Ok, "By definition of $2$. ∎", null, null, new UsageTotals(100, 900, 0.01, 1), 1);
            await store.SaveGradeAsync(new GradeRecord(id, "j", "judge", GradeStatus.Graded, 7 * i, 7, null, "fine", "judge", null,
                UsageTotals.Zero, null, DateTimeOffset.UtcNow));
        }
    }

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    private static ProcessStartInfo Qed(params string[] args)
    {
        // The repository's ./qed launcher: builds the CLI on first use, exactly as a user runs it.
        var psi = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "qed")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return psi;
    }

    [Fact]
    public async Task View_serves_the_store_on_loopback()
    {
        using var process = Process.Start(Qed("view", "--db", Db, "--port", "0"))!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(5));
            line.Should().NotBeNull();
            var match = Regex.Match(line!, @"at (http://127\.0\.0\.1:\d+)/?");
            match.Success.Should().BeTrue($"the first line names the address: {line}");
            using var http = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value) };
            var home = await http.GetAsync("/");
            home.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("script-src 'self'");
            (await home.Content.ReadAsStringAsync()).Should().Contain("qed-nano").And.Contain("50.0%");
            (await http.GetStringAsync("/runs/run-1/problems/P1")).Should().Contain("<span class=\"tex\">1 + 1 = 2</span>");
            (await http.GetAsync("/static/katex/katex.min.js")).IsSuccessStatusCode.Should().BeTrue();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Report_writes_one_html_file()
    {
        var output = Path.Combine(_dir, "report.html");
        using var process = Process.Start(Qed("report", "--db", Db, "--out", output))!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, stderr);
        stdout.Should().Contain("wrote " + output);
        var html = await File.ReadAllTextAsync(output);
        html.Should().Contain("qed-nano").And.Contain("data:image/png;base64,");
    }

    [Fact]
    public async Task A_missing_store_is_a_one_line_error()
    {
        using var process = Process.Start(Qed("view", "--db", Path.Combine(_dir, "nope.db")))!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(1);
        stderr.Trim().Should().StartWith("qed view:").And.Contain("nope.db").And.Contain("no run store");
    }
}
