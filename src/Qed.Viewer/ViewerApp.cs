using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Qed.Stats;
using Qed.Viewer.Pages;
using Qed.Viewer.Rendering;
using Qed.Viewer.ReadModel;

namespace Qed.Viewer;

/// <summary>Where the viewer listens. Loopback unless the user asks otherwise; port 0 picks a free port.</summary>
public sealed record ViewerOptions(string Host = "127.0.0.1", int Port = 7860, int PageSize = 50);

/// <summary>The results viewer: a small Kestrel app of server-rendered pages over <see cref="IRunResults"/>.</summary>
public sealed class ViewerApp : IAsyncDisposable
{
    /// <summary>Sent with every response: scripts and styles only from the viewer itself, nothing remote,
    /// no inline handlers, no plugins, no framing. A proof that slipped markup past the renderer still runs nothing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self'; " +
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

    private readonly WebApplication _app;

    private ViewerApp(WebApplication app) => _app = app;

    /// <summary>The address the viewer answers on, e.g. http://127.0.0.1:7860 (known after <see cref="StartAsync"/>).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static ViewerApp Create(IRunResults results, ViewerOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ViewerApp).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        var host = options.Host.Contains(':') && !options.Host.StartsWith('[') ? $"[{options.Host}]" : options.Host;
        builder.WebHost.UseUrls($"http://{host}:{options.Port.ToString(CultureInfo.InvariantCulture)}");
        var app = builder.Build();
        Map(app, results, options);
        return new ViewerApp(app);
    }

    public Task StartAsync(CancellationToken ct) => _app.StartAsync(ct);

    public Task StopAsync(CancellationToken ct) => _app.StopAsync(ct);

    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static void Map(WebApplication app, IRunResults results, ViewerOptions options)
    {
        var markdown = new ProofMarkdown();
        var assets = new StaticAssets();

        // The security headers go on whatever leaves the server, errors and routing's own 404/405 included: they are set
        // when the response starts, and a fault in a page becomes a plain 500 page here rather than an empty body.
        app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                SecurityHeaders(context.Response.Headers);
                return Task.CompletedTask;
            });
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                app.Logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                context.Response.Clear();
                context.Response.StatusCode = 500;
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync(Html.Layout("Error",
                    $"<h1>Something went wrong</h1><p class=\"error\">The viewer could not show this page ({Html.E(e.GetType().Name)}). " +
                    "The run store was not changed.</p><p><a href=\"/\">back to the leaderboard</a></p>"));
            }
        });

        // Every page answers HEAD as well as GET (link checkers, curl -I); Kestrel leaves the body out.
        string[] getOrHead = [HttpMethods.Get, HttpMethods.Head];

        app.MapMethods("/static/{**path}", getOrHead, (string path) => assets.Serve(path));

        app.MapMethods("/", getOrHead, async (CancellationToken ct) =>
            Page(LeaderboardPage.Render(await results.ScoresAsync(null, ct), await results.RunsAsync(ct))));

        app.MapMethods("/runs/{runId}", getOrHead, async (string runId, HttpRequest request, CancellationToken ct) =>
        {
            runId = Slash(runId);
            if (await results.RunAsync(runId, ct) is null) return NotFound($"No run '{runId}' in this store.");
            if (ReadProblemQuery(request.Query, options.PageSize, out var query) is { } badParameter) return BadRequest(badParameter);
            var judges = await results.JudgesAsync(runId, ct);
            if (ReadJudge(request.Query["judge"], judges, out var chosen) is { } badJudge) return BadRequest(badJudge);
            // The problem table is always one judge's: the chosen one, else the first (the page says so and lists the others).
            var judge = chosen ?? judges.FirstOrDefault();
            var scoped = judge is null ? results : results.ForJudge(judge.Id);
            var run = await scoped.RunAsync(runId, ct);
            if (run is null) return NotFound($"No run '{runId}' in this store.");
            var judged = await results.ScoresAsync(runId, ct);
            var facets = await scoped.FacetsAsync(runId, ct);
            Paged<ProblemRow>? problems = null;
            string? searchError = null;
            try
            {
                problems = await scoped.ProblemsAsync(runId, query, ct);
            }
            catch (RegexMatchTimeoutException e)
            {
                searchError = $"The regular expression took longer than {e.MatchTimeout.TotalMilliseconds:0} ms on one text and was stopped; simplify it.";
            }
            catch (SearchTimeoutException e)
            {
                searchError = e.Message;
            }
            catch (RegexParseException e)
            {
                searchError = $"Not a valid regular expression: {e.Message}";
            }
            if (problems is not null && query.Page > problems.Pages)
                return NotFound($"There is no page {query.Page}: {problems.Total} problems match, {problems.Pages} page(s) of {problems.PageSize}.");
            return Page(RunPage.Render(run, judged, new JudgeChoice(judges, judge, chosen is not null), facets, query, problems, searchError));
        });

        app.MapMethods("/runs/{runId}/problems/{problemId}", getOrHead, async (string runId, string problemId, HttpRequest request, CancellationToken ct) =>
        {
            (runId, problemId) = (Slash(runId), Slash(problemId));
            var judges = await results.JudgesAsync(runId, ct);
            if (ReadJudge(request.Query["judge"], judges, out var chosen) is { } badJudge) return BadRequest(badJudge);
            // No judge chosen: every judge's grade, each labelled (a run with one judge shows just that one).
            var page = await (chosen is null ? results : results.ForJudge(chosen.Id)).ProblemAsync(runId, problemId, ct);
            return page is null ? NotFound($"No problem '{problemId}' in run '{runId}'.")
                : Page(ProblemPageView.Render(page, markdown, new JudgeChoice(judges, chosen, chosen is not null)));
        });

        app.MapMethods("/runs/{runId}/steps", getOrHead, async (string runId, HttpRequest request, CancellationToken ct) =>
        {
            string? sample = request.Query["sample"], key = request.Query["key"];
            if (string.IsNullOrEmpty(sample) || string.IsNullOrEmpty(key)) return BadRequest("Parameters sample and key are required.");
            var messages = await results.StepMessagesAsync(Slash(runId), sample, key, ct);
            return messages is null
                ? NotFound($"No step '{key}' of sample '{sample}' in run '{runId}'.")
                : Results.Content(ProblemPageView.StepMessages(messages, markdown), "text/html; charset=utf-8", System.Text.Encoding.UTF8);
        });

        app.MapMethods("/compare/{problemId}", getOrHead, async (string problemId, HttpRequest request, CancellationToken ct) =>
        {
            problemId = Slash(problemId);
            string? a = request.Query["a"], b = request.Query["b"];
            if (string.IsNullOrEmpty(a) || string.IsNullOrEmpty(b))
                return Page(ComparePage.Refusal("Choose two runs to compare (parameters a and b)."), 400);
            // ja / jb: the judge of run A / B; left out, every judge's grade is shown, each labelled.
            if (ReadJudge(request.Query["ja"], await results.JudgesAsync(a, ct), out var ja, "ja") is { } badA) return BadRequest(badA);
            if (ReadJudge(request.Query["jb"], await results.JudgesAsync(b, ct), out var jb, "jb") is { } badB) return BadRequest(badB);
            var pageA = await (ja is null ? results : results.ForJudge(ja.Id)).ProblemAsync(a, problemId, ct);
            var pageB = await (jb is null ? results : results.ForJudge(jb.Id)).ProblemAsync(b, problemId, ct);
            if (pageA is null || pageB is null)
                return NotFound($"No problem '{problemId}' in run '{(pageA is null ? a : b)}'.");
            if (pageA.Run.Benchmark != pageB.Run.Benchmark)
                return Page(ComparePage.Refusal($"Runs {a} ({pageA.Run.Benchmark}) and {b} ({pageB.Run.Benchmark}) are on different benchmarks; only runs on the same benchmark can be compared."), 400);
            return Page(ProblemPageView.RenderSideBySide(pageA, pageB, markdown));
        });

        app.MapMethods("/compare", getOrHead, async (HttpRequest request, CancellationToken ct) =>
        {
            string? a = request.Query["a"], b = request.Query["b"];
            if (string.IsNullOrEmpty(a) || string.IsNullOrEmpty(b))
                return Page(ComparePage.Refusal("Choose two runs to compare (parameters a and b)."), 400);
            var runA = await results.RunAsync(a, ct);
            var runB = await results.RunAsync(b, ct);
            if (runA is null || runB is null) return NotFound($"No run '{(runA is null ? a : b)}' in this store.");
            if (runA.Benchmark != runB.Benchmark)
                return Page(ComparePage.Refusal($"Runs {a} ({runA.Benchmark}) and {b} ({runB.Benchmark}) are on different benchmarks; only runs on the same benchmark can be compared."), 400);
            if (PageNumber(request.Query["page"], out var page) is { } badPage) return BadRequest(badPage);
            // Each run is scored by one judge: ja / jb, else that run's first judge (the page names both).
            var judgesA = await results.JudgesAsync(a, ct);
            var judgesB = await results.JudgesAsync(b, ct);
            if (ReadJudge(request.Query["ja"], judgesA, out var ja, "ja") is { } badA) return BadRequest(badA);
            if (ReadJudge(request.Query["jb"], judgesB, out var jb, "jb") is { } badB) return BadRequest(badB);
            var sideA = new JudgeChoice(judgesA, ja ?? judgesA.FirstOrDefault(), ja is not null);
            var sideB = new JudgeChoice(judgesB, jb ?? judgesB.FirstOrDefault(), jb is not null);
            var rows = await results.CompareAsync(a, sideA.Shown?.Id, b, sideB.Shown?.Id, page, options.PageSize, ct);
            if (page > rows.Pages) return NotFound($"There is no page {page}: {rows.Total} problems, {rows.Pages} page(s) of {rows.PageSize}.");
            EvalStats? Stats(IReadOnlyList<EvalStats> all, JudgeChoice side) => all.FirstOrDefault(s => s.Judge?.Id == side.Shown?.Id);
            return Page(ComparePage.Render(runA, Stats(await results.ScoresAsync(a, ct), sideA), sideA,
                runB, Stats(await results.ScoresAsync(b, ct), sideB), sideB, rows));
        });
    }

    /// <summary>Reads the run page's filters; returns the message of a 400 when one is not a value it can use (a score
    /// that is not a number from 0 to 100, a page that is not a whole number of 1 or more), null otherwise.</summary>
    internal static string? ReadProblemQuery(IQueryCollection q, int pageSize, out ProblemQuery query)
    {
        static string? Text(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
        query = new ProblemQuery(PageSize: pageSize);
        if (Percent(q["min"], "min", out var min) is { } badMin) return badMin;
        if (Percent(q["max"], "max", out var max) is { } badMax) return badMax;
        if (PageNumber(q["page"], out var page) is { } badPage) return badPage;
        query = new ProblemQuery(
            Level: Text(q["level"]), Category: Text(q["category"]),
            MinScore: min, MaxScore: max,
            Status: Text(q["status"]), Text: Text(q["q"]), Regex: q["regex"] == "1",
            Page: page, PageSize: pageSize);
        return null;
    }

    /// <summary>Reads <c>judge</c>: empty means none chosen; otherwise it must name one of the run's judges, by the name the
    /// pages and <c>qed stats</c> show or by its id, else the message of a 400 listing the judges it could be.</summary>
    internal static string? ReadJudge(string? s, IReadOnlyList<Qed.Stats.JudgeRef> judges, out Qed.Stats.JudgeRef? judge, string name = "judge")
    {
        judge = null;
        if (string.IsNullOrWhiteSpace(s)) return null;
        var v = s.Trim();
        judge = judges.FirstOrDefault(j => string.Equals(j.Name, v, StringComparison.OrdinalIgnoreCase))
                ?? judges.FirstOrDefault(j => string.Equals(j.Id, v, StringComparison.OrdinalIgnoreCase));
        if (judge is not null) return null;
        return judges.Count == 0
            ? $"Parameter {name}: no judge has graded this run yet (got '{Truncate(s)}')."
            : $"Parameter {name} must name one of this run's judges: {string.Join(", ", judges.Select(j => j.Name))} (got '{Truncate(s)}').";
    }

    /// <summary>A score filter in percent (empty: no filter), as a fraction.</summary>
    private static string? Percent(string? s, string name, out double? fraction)
    {
        fraction = null;
        if (string.IsNullOrWhiteSpace(s)) return null;
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v) || v is < 0 or > 100)
            return $"Parameter {name} must be a score in percent, from 0 to 100 (got '{Truncate(s)}').";
        fraction = v / 100;
        return null;
    }

    private static string? PageNumber(string? s, out int page)
    {
        page = 1;
        if (string.IsNullOrWhiteSpace(s)) return null;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out page) || page < 1)
        {
            page = 1;
            return $"Parameter page must be a whole number of 1 or more (got '{Truncate(s)}').";
        }
        return null;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static void SecurityHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
    }

    // Routing decodes every escape in a segment except %2F; ids may contain '/', and links escape it.
    private static string Slash(string segment) => segment.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static IResult Page(string html, int status = 200) =>
        Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);

    private static IResult BadRequest(string message) =>
        Page(Html.Layout("Bad request", $"<h1>Bad request</h1><p class=\"error\">{Html.E(message)}</p><p><a href=\"/\">back to the leaderboard</a></p>"), 400);

    private static IResult NotFound(string message) =>
        Page(Html.Layout("Not found", $"<h1>Not found</h1><p class=\"error\">{Html.E(message)}</p><p><a href=\"/\">back to the leaderboard</a></p>"), 404);
}

/// <summary>A text search ran past its overall time limit.</summary>
public sealed class SearchTimeoutException(string message) : Exception(message);
