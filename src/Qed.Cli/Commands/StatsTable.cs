using System.Globalization;
using Qed.Runs;
using Qed.Stats;
using Spectre.Console;

namespace Qed.Cli.Commands;

/// <summary>The <c>qed stats</c> table: one row per (run, judge), and for a single row its levels and categories.</summary>
internal static class StatsTable
{
    private static string Pct(double? v) => v is null ? "–" : v.Value.ToString("0.0", CultureInfo.InvariantCulture);
    private static string Num(double v) => v.ToString("#,0", CultureInfo.InvariantCulture);

    public static void Write(IReadOnlyList<EvalStats> rows)
    {
        // Redirected output has no terminal width; 80 columns would wrap every name, so give the table room.
        if (Console.IsOutputRedirected && AnsiConsole.Profile.Width < 200) AnsiConsole.Profile.Width = 240;
        var table = new Table().AddColumn("run").AddColumn("bench").AddColumn("model").AddColumn("scaffold").AddColumn("judge").AddColumn("protocol")
            .AddColumn(new TableColumn("score ± std").RightAligned()).AddColumn(new TableColumn("problems × samples").RightAligned())
            .AddColumn(new TableColumn("graded / failed / grade_failed / pending").RightAligned())
            .AddColumn(new TableColumn("output tokens").RightAligned()).AddColumn(new TableColumn("cost (USD)").RightAligned());
        foreach (var s in rows)
        {
            // An incomplete score is marked: missing grades count 0 (fillna(0)), so the number is a lower bound until complete.
            var score = s.Judge is null ? "–" : $"{Pct(s.Score)} ± {Pct(s.ScoreStd)}{(s.Complete ? "" : " *")}";
            table.AddRow(Markup.Escape(RunSelection.ShortId(s.Run.RunId)), Markup.Escape(s.Run.Benchmark), Markup.Escape(s.Run.ModelName),
                Markup.Escape(s.Run.ScaffoldName ?? "none"), Markup.Escape(s.Judge?.Name ?? "(not graded)"), Markup.Escape(s.Run.Protocol),
                score, $"{s.Problems} × {s.Runs}",
                $"{s.Graded} / {s.Failed} / {s.GradeFailed} / {s.Pending + s.Ungraded}",
                Num(s.OutputTokens), s.CostUsd.ToString("0.0000", CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        if (rows.Any(s => s.Judge is not null && !s.Complete))
            AnsiConsole.WriteLine("* incomplete: samples without a valid grade count 0 (score_graded in --json averages graded samples only)");
        if (rows.Count == 1 && rows[0] is { Judge: not null } one && (one.ByLevel.Count > 0 || one.ByCategory.Count > 0))
        {
            var detail = new Table().AddColumn("breakdown").AddColumn(new TableColumn("score").RightAligned());
            detail.AddRow("graded samples only", Pct(one.ScoreGraded));
            foreach (var (k, v) in one.ByLevel) detail.AddRow($"level {Markup.Escape(k)}", Pct(v));
            foreach (var (k, v) in one.ByCategory) detail.AddRow($"category {Markup.Escape(k)}", Pct(v));
            detail.AddRow("failed / truncated / budget exhausted", $"{one.Failed} / {one.Truncated} / {one.BudgetExhausted}");
            detail.AddRow("ungraded / not solved yet", $"{one.Ungraded} / {one.Pending}");
            AnsiConsole.Write(detail);
        }
    }

    /// <summary>The original harness's summary columns (stats.py), in its units (points), for each graded (run, judge).</summary>
    public static void WriteOriginal(IReadOnlyList<EvalStats> rows, MergeMethod merge)
    {
        foreach (var s in rows.Where(r => r.Judge is not null && r.Samples > 0))
        {
            var original = OriginalStats.Compute(OriginalStats.FromStats(s, OriginalUnits.ModeOf(s.Run.GradingMode)), merge);
            var cols = original.Columns();
            var table = new Table().Title($"{Markup.Escape(RunSelection.ShortId(s.Run.RunId))} {Markup.Escape(s.Judge!.Name)}: like the original "
                + $"({merge.ToString().ToLowerInvariant()}@{original.Indexes})");
            foreach (var (name, _) in cols) table.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
            table.AddRow(cols.Select(c => c.Value).ToArray());
            AnsiConsole.Write(table);
        }
    }
}

/// <summary>Grading progress like solving's: count, failures, tokens, dollars and ETA, on a bar when interactive and as a
/// line every tenth otherwise. Totals include what was stored before this pass, so a resumed pass never goes backwards.</summary>
internal sealed class GradeProgressDisplay(bool interactive)
{
    public async Task<T> RunAsync<T>(Func<IProgress<Qed.Grading.GradeProgress>, Task<T>> run)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int? startDone = null;
        string Line(Qed.Grading.GradeProgress r)
        {
            startDone ??= r.Done;
            var doneHere = r.Done - startDone.Value;
            var eta = doneHere > 0 && r.Done < r.Total
                ? TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / doneHere * (r.Total - r.Done)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture)
                : "–";
            return $"graded {r.Done}/{r.Total}, grade_failed {r.Failed}, {r.InputTokens + r.OutputTokens:#,0} judge tokens, ${r.CostUsd:0.0000}, ETA {eta}";
        }
        if (interactive)
        {
            return await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("grading", maxValue: 1);
                    var gate = new object();
                    var best = -1;
                    return await run(new Progress(r =>
                    {
                        lock (gate)
                        {
                            if (r.Done < best) return; // reports may arrive out of order; the bar never goes back
                            best = r.Done;
                            task.MaxValue = Math.Max(1, r.Total);
                            task.Value = r.Done;
                            task.Description = Markup.Escape(Line(r));
                        }
                    }));
                });
        }
        var lastPrinted = -1;
        var lineGate = new object();
        return await run(new Progress(r =>
        {
            lock (lineGate)
            {
                var step = Math.Max(1, r.Total / 10);
                if (r.Done <= lastPrinted || (r.Done / step == Math.Max(lastPrinted, 0) / step && r.Done != r.Total && lastPrinted >= 0)) return;
                lastPrinted = r.Done;
                Console.Error.WriteLine("qed: " + Line(r));
            }
        }));
    }

    /// <summary>Runs the callback on the reporting thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    private sealed class Progress(Action<Qed.Grading.GradeProgress> report) : IProgress<Qed.Grading.GradeProgress>
    {
        public void Report(Qed.Grading.GradeProgress value) => report(value);
    }
}
