using System.Globalization;
using System.Net;
using System.Text;
using Qed.Viewer.ReadModel;

namespace Qed.Viewer.Pages;

/// <summary>Small pure functions shared by the server-rendered pages. Every string that came from the store
/// goes through <see cref="E"/> (or through <see cref="Rendering.ProofMarkdown"/>) before it reaches HTML.</summary>
internal static class Html
{
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string U(string? text) => Uri.EscapeDataString(text ?? "");

    /// <summary>A run id for reading: content-hash ids are 64 hex digits, so show the first 12 and keep the whole
    /// id in the title (hover) and in every link.</summary>
    public static string Id(string id) =>
        id.Length > 16 ? $"<span class=\"id\" title=\"{E(id)}\">{E(id[..12])}…</span>" : E(id);

    public static string Percent(double? fraction) =>
        fraction is { } f ? (f * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "—";

    public static string PercentPm(double? mean, double? std) =>
        mean is null ? "—" : std is { } s ? $"{Percent(mean)} ± {(s * 100).ToString("0.0", CultureInfo.InvariantCulture)}" : Percent(mean);

    public static string Cost(decimal? usd) => usd is { } c ? "$" + c.ToString("#,0.00##", CultureInfo.InvariantCulture) : "—";

    /// <summary>A count with thousands separators (12,345).</summary>
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Tokens(long n) => n switch
    {
        >= 1_000_000 => (n / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 10_000 => (n / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => Count(n),
    };

    public static string Points(double p) => p.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Statuses(IReadOnlyDictionary<string, int> statuses)
    {
        var sb = new StringBuilder();
        foreach (var (status, count) in statuses.OrderBy(s => s.Key, StringComparer.Ordinal))
            sb.Append($"<span class=\"status status-{E(status)}\">{E(status)} {count}</span> ");
        return sb.ToString();
    }

    public static string Pager(int page, int pages, Func<int, string> href)
    {
        if (pages <= 1) return "";
        var sb = new StringBuilder("<nav class=\"pager\">");
        if (page > 1) sb.Append($"<a rel=\"prev\" href=\"{E(href(page - 1))}\">← previous</a> ");
        sb.Append($"<span class=\"page-of\">page {page} of {pages}</span>");
        if (page < pages) sb.Append($" <a rel=\"next\" href=\"{E(href(page + 1))}\">next →</a>");
        return sb.Append("</nav>").ToString();
    }

    public static string Layout(string title, string body) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{E(title)}} · qed viewer</title>
        <link rel="stylesheet" href="/static/katex/katex.min.css">
        <link rel="stylesheet" href="/static/viewer.css">
        <script defer src="/static/katex/katex.min.js"></script>
        <script defer src="/static/viewer.js"></script>
        </head>
        <body>
        <header class="top"><a href="/" class="brand">qed viewer</a></header>
        <main>
        {{body}}
        </main>
        </body>
        </html>
        """;

    /// <summary>A (run, judge) score as <c>qed stats</c> prints it: mean ± sample std of the per-sample-index means, with a
    /// star when some planned sample has no valid grade (it counted 0); "not graded" when no judge graded the run.</summary>
    public static string JudgedScore(Qed.Stats.EvalStats s) =>
        s.Judge is null || s.Score is null ? "not graded"
        : PercentPm(s.Score / 100, s.ScoreStd / 100) + (s.Complete ? "" : " *");

    public const string IncompleteNote =
        "* incomplete: samples without a valid grade (failed, grade_failed, pending, not graded) count 0, as <code>qed stats</code> counts them.";

    public static string RunLabel(RunSummary run) =>
        $"{run.Model} · {run.Benchmark}" + (run.Scaffold is { Length: > 0 } s ? $" · {s}" : "");
}
