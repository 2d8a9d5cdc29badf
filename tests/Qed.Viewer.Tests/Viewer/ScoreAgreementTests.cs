using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qed.Runs;
using Qed.Stats;
using Qed.Viewer.ReadModel;

namespace Qed.Viewer.Tests.Viewer;

/// <summary>The viewer and report never disagree with <c>qed stats</c> about a score, and never pool runs or judges.</summary>
public class ScoreAgreementTests
{
    [Fact]
    public async Task Leaderboard_line_equals_qed_stats_for_the_same_samples()
    {
        var dir = TempDir();
        try
        {
            var db = Path.Combine(dir, "qed.db");
            // One run: 6 problems × 3 sample indexes with a failed, a truncated and a grade_failed sample.
            await SeededStore.WriteAsync(db, [SeedData.Runs()[0]]);
            EvalStats stats;
            await using (var store = await RunStore.OpenAsync(db)) stats = (await StatsQuery.ComputeAsync(store, RunSelection.All, CancellationToken.None)).Single();

            var results = new RunStoreResults(db);
            var line = Leaderboard.From(await results.ScoresAsync(null, CancellationToken.None)).Should().ContainSingle().Subject;
            var runs = await results.RunsAsync(CancellationToken.None);

            stats.Score.Should().NotBeNull();
            line.ToJson().ToJsonString().Should().Be(stats.ToJson().ToJsonString());
            // The run page's SQL summary of the same (run, judge) agrees as well.
            var judged = await results.ForJudge(stats.Judge!.Id).RunAsync(stats.Run.RunId, CancellationToken.None);
            (judged!.Score!.Value * 100).Should().BeApproximately(stats.Score!.Value, 1e-9);
            (judged.ScoreStd!.Value * 100).Should().BeApproximately(stats.ScoreStd!.Value, 1e-9);
            judged.Graded.Should().Be(stats.Graded);
            judged.Samples.Should().Be(stats.Samples);
            judged.Statuses.GetValueOrDefault("grade_failed").Should().Be(stats.GradeFailed);
            // Without a judge the run's own line counts no grade at all (no judge-less score, no mixed statuses).
            runs[0].Score.Should().BeNull();
            runs[0].Statuses.Should().NotContainKey("grade_failed");
            runs[0].Samples.Should().Be(stats.Samples);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Two runs of one model × benchmark × scaffold, each graded by two judges: four leaderboard lines with exactly
    /// the numbers <c>qed stats --all</c> prints, hand-checked; the problem page labels both judges' grades; a judge that is
    /// not the run's is a 400.</summary>
    [Fact]
    public async Task Two_runs_and_two_judges_are_four_lines_with_the_numbers_of_qed_stats()
    {
        var dir = TempDir();
        try
        {
            var db = Path.Combine(dir, "qed.db");
            await TwoByTwo.WriteAsync(db);
            JsonArray all;
            await using (var store = await RunStore.OpenReadOnlyAsync(db))
                all = new JsonArray((await StatsQuery.ComputeAsync(store, RunSelection.All, CancellationToken.None)).Select(s => (JsonNode?)s.ToJson()).ToArray());
            all.Count.Should().Be(4);

            // Hand-computed (percent; per sample index: mean over both problems, missing grades count 0; ± sample std ddof 1).
            var expected = new Dictionary<(string, string), (double Score, double Std, bool Complete)>
            {
                [("run-one", TwoByTwo.JudgeA)] = (75, Math.Sqrt(2 * 25.0 * 25.0), true),   // index 0: 100, index 1: 50
                [("run-one", TwoByTwo.JudgeB)] = (25, Math.Sqrt(2 * 25.0 * 25.0), false),  // index 0: 50, index 1: 0 (a grade_failed)
                [("run-two", TwoByTwo.JudgeA)] = (100, 0, true),
                [("run-two", TwoByTwo.JudgeB)] = (50, 0, true),
            };
            foreach (var row in all)
            {
                var key = ((string)row!["run_id"]!, (string)row["judge"]!);
                expected.Should().ContainKey(key);
                ((double)row["score"]!).Should().BeApproximately(expected[key].Score, 1e-9);
                ((double)row["score_std"]!).Should().BeApproximately(expected[key].Std, 1e-9);
                ((bool)row["complete"]!).Should().Be(expected[key].Complete);
            }

            await using var app = ViewerApp.Create(new RunStoreResults(db), new ViewerOptions("127.0.0.1", 0));
            await app.StartAsync(CancellationToken.None);
            using var http = new HttpClient { BaseAddress = app.Address };

            var home = await http.GetStringAsync("/");
            var board = Regex.Match(home, "<table class=\"grid\" id=\"leaderboard\">.*?</table>", RegexOptions.Singleline).Value;
            var rows = Regex.Matches(board, "<tr data-run=\"([^\"]*)\" data-judge=\"([^\"]*)\">(.*?)</tr>", RegexOptions.Singleline);
            rows.Should().HaveCount(4, "one line per (run, judge), nothing pooled");
            foreach (var row in all)
            {
                var (run, judge) = ((string)row!["run_id"]!, (string)row["judge"]!);
                var line = rows.Single(m => m.Groups[1].Value == run && m.Groups[2].Value == judge).Groups[3].Value;
                var score = (double)row["score"]!;
                var std = (double)row["score_std"]!;
                var text = $"{score.ToString("0.0", CultureInfo.InvariantCulture)}% ± {std.ToString("0.0", CultureInfo.InvariantCulture)}"
                           + ((bool)row["complete"]! ? "" : " *");
                line.Should().Contain($"<td class=\"num score\">{WebUtility.HtmlEncode(text)}</td>");
                line.Should().Contain($"<td>{row["problems"]} × {row["samples_per_problem"]}</td>".Replace("<td>", "<td class=\"num\">"));
                line.Should().Contain($"{row["graded"]} / {row["failed"]} / {row["grade_failed"]} / {row["pending"]}");
                line.Should().Contain($"?judge={judge}");
            }

            // The problem page without a judge: both judges' grades, each labelled; with one: only that judge's.
            var problem = await http.GetStringAsync("/runs/run-one/problems/P1");
            problem.Should().Contain($"<span class=\"judge\">{TwoByTwo.JudgeA}</span>: 7 / 7")
                .And.Contain($"<span class=\"judge\">{TwoByTwo.JudgeB}</span>: 0 / 7")
                .And.Contain($"data-judge=\"{TwoByTwo.JudgeA}\"").And.Contain($"data-judge=\"{TwoByTwo.JudgeB}\"")
                .And.Contain("every judge (2), each labelled");
            var onlyB = await http.GetStringAsync($"/runs/run-one/problems/P1?judge={TwoByTwo.JudgeB}");
            onlyB.Should().Contain($"data-judge=\"{TwoByTwo.JudgeB}\"").And.NotContain($"data-judge=\"{TwoByTwo.JudgeA}\"");
            var failed = await http.GetStringAsync($"/runs/run-one/problems/P2?judge={TwoByTwo.JudgeB}");
            failed.Should().Contain($"<span class=\"judge\">{TwoByTwo.JudgeB}</span>: grade_failed");

            // The run page: one line per judge, and the problem table of the judge asked for (by name or id).
            var runPage = await http.GetStringAsync($"/runs/run-one?judge={TwoByTwo.JudgeB}");
            Regex.Matches(Regex.Match(runPage, "id=\"run-judges\">.*?</table>", RegexOptions.Singleline).Value, "<tr data-run=").Should().HaveCount(2);
            runPage.Should().Contain($"judge <b class=\"judge\">{TwoByTwo.JudgeB}</b>");
            // Judge B: P1 scores 0 on both indexes, P2 7 then grade_failed (mean over graded samples: 100%).
            Regex.Match(runPage, "problems/P1\\?judge=[^\"]*\">P1</a>.*?<td class=\"num score\">([^<]*)</td>", RegexOptions.Singleline).Groups[1].Value.Should().Be("0.0%");
            var byId = await http.GetStringAsync("/runs/run-one?judge=judge-a-id");
            byId.Should().Contain($"judge <b class=\"judge\">{TwoByTwo.JudgeA}</b>");
            Regex.Match(byId, "problems/P1\\?judge=[^\"]*\">P1</a>.*?<td class=\"num score\">([^<]*)</td>", RegexOptions.Singleline).Groups[1].Value.Should().Be("50.0%");
            // No judge chosen: the first judge, said so.
            (await http.GetStringAsync("/runs/run-one")).Should().Contain("the run's first judge; none was chosen");

            // Comparison: each run scored by one named judge; the side-by-side page of a judge shows only its grades.
            var compare = await http.GetStringAsync($"/compare?a=run-one&b=run-two&ja={TwoByTwo.JudgeB}");
            var summary = Regex.Match(compare, "id=\"compare-summary\">.*?</table>", RegexOptions.Singleline).Value;
            summary.Should().Contain($"<td class=\"judge\">{TwoByTwo.JudgeB}</td>").And.Contain($"<td class=\"judge\">{TwoByTwo.JudgeA} <small>(first of 2 judges)</small></td>")
                .And.Contain(WebUtility.HtmlEncode("25.0% ± 35.4 *")).And.Contain(WebUtility.HtmlEncode("100.0% ± 0.0"));
            // P1: A (judge B) 0%, B (judge A) 100%.
            Regex.Match(compare, ">P1</a>.*?<td class=\"num\"><a [^>]*>([^<]*)</a></td><td class=\"num\"><a [^>]*>([^<]*)</a>", RegexOptions.Singleline)
                .Groups.Cast<Group>().Skip(1).Select(g => g.Value).Should().Equal("0.0%", "100.0%");
            var side = await http.GetStringAsync($"/compare/P1?a=run-one&b=run-two&ja={TwoByTwo.JudgeB}&jb={TwoByTwo.JudgeA}");
            Regex.Match(side, "id=\"column-a\">.*?id=\"column-b\"", RegexOptions.Singleline).Value.Should()
                .Contain($"data-judge=\"{TwoByTwo.JudgeB}\"").And.NotContain($"data-judge=\"{TwoByTwo.JudgeA}\"");

            // The static report: the same four lines, and its breakdowns one row per (run, judge).
            var report = await new Qed.Viewer.Report.StaticReport(new RunStoreResults(db), new Qed.Viewer.Report.ReportCharts()).RenderAsync(CancellationToken.None);
            Regex.Matches(Regex.Match(report, "id=\"leaderboard\">.*?</table>", RegexOptions.Singleline).Value, "<tr data-run=").Should().HaveCount(4);
            Regex.Matches(Regex.Match(report, "id=\"by-level\">.*?</table>", RegexOptions.Singleline).Value, "<tr><td class=\"id\">").Should().HaveCount(4);
            report.Should().Contain(WebUtility.HtmlEncode("25.0% ± 35.4 *"));

            foreach (var url in new[] { "/runs/run-one?judge=judge-c", "/runs/run-one/problems/P1?judge=judge-c", "/compare?a=run-one&b=run-two&jb=judge-c" })
            {
                using var bad = await http.GetAsync(url);
                bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
                bad.Headers.GetValues("Content-Security-Policy").Single().Should().Be(ViewerApp.ContentSecurityPolicy);
                var body = await bad.Content.ReadAsStringAsync();
                body.Should().MatchRegex("Parameter (judge|jb) must name one of this run").And.Contain(TwoByTwo.JudgeA).And.Contain(TwoByTwo.JudgeB);
            }
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "qed-viewer-agree-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

/// <summary>Two runs of the same model, benchmark and scaffold (2 problems × 2 sample indexes each), graded by two judges.</summary>
public static class TwoByTwo
{
    public const string JudgeA = "judge-a";
    public const string JudgeB = "judge-b";

    public static async Task WriteAsync(string path)
    {
        // Points by (run, problem, index) for each judge; null = that judge's grade failed.
        var grades = new Dictionary<(string Run, string Problem, int Index), (double? A, double? B)>
        {
            [("run-one", "P1", 0)] = (7, 0), [("run-one", "P1", 1)] = (0, 0),
            [("run-one", "P2", 0)] = (7, 7), [("run-one", "P2", 1)] = (7, null),
            [("run-two", "P1", 0)] = (7, 7), [("run-two", "P1", 1)] = (7, 7),
            [("run-two", "P2", 0)] = (7, 0), [("run-two", "P2", 1)] = (7, 0),
        };
        SeedProblem[] problems = [new("P1", "Prove $1 + 1 = 2$.", "Basic", "Algebra"), new("P2", "Prove $2 > 1$.", "Basic", "Algebra")];
        await SeededStore.WriteAsync(path, new[] { "run-one", "run-two" }.Select(run => new SeedRun(run, "imo-proofbench", "qed-nano", null,
            problems.SelectMany(p => new[] { 0, 1 }.Select(i => new SeedSample(p, i, "ok", $"Proof of {p.Id} ({run}, {i}).", null))).ToList())).ToList());
        await using var store = await RunStore.OpenAsync(path);
        var at = new DateTimeOffset(2026, 11, 2, 12, 0, 0, TimeSpan.Zero);
        foreach (var ((run, problem, index), (a, b)) in grades)
        {
            var sampleId = $"{run}/{problem}/{index}";
            foreach (var (judgeId, judge, points, when) in new[] { ("judge-a-id", JudgeA, a, at), ("judge-b-id", JudgeB, b, at.AddHours(1)) })
                await store.SaveGradeWithUsageAsync(new GradeRecord(sampleId, judgeId, judge,
                    points is null ? GradeStatus.Failed : GradeStatus.Graded, points, 7, null, $"{judge} verdict on {sampleId}", judge, null,
                    new UsageTotals(100, 50, 0.001, 1), points is null ? "no points tag" : null, when));
        }
    }
}
