using ScottPlot;
using Qed.Viewer.ReadModel;

namespace Qed.Viewer.Report;

/// <summary>The report's charts as PNG bytes (ScottPlot). Each method draws one figure from plain data.</summary>
public sealed class ReportCharts(int width = 900, int height = 420)
{
    /// <summary>Grouped bars: one group per level (or category), one bar per run, score in percent.</summary>
    public byte[] GroupedScores(string title, string groupName, IReadOnlyList<GroupScore> scores, IReadOnlyDictionary<string, string> runLabels)
    {
        var plot = new Plot();
        var groups = scores.Select(s => s.Group).Distinct().OrderBy(g => g, StringComparer.Ordinal).ToList();
        var runs = scores.Select(s => s.RunId).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        var barWidth = 0.8 / Math.Max(1, runs.Count);
        for (var r = 0; r < runs.Count; r++)
        {
            var bars = new List<Bar>();
            for (var g = 0; g < groups.Count; g++)
            {
                var s = scores.FirstOrDefault(x => x.RunId == runs[r] && x.Group == groups[g]);
                if (s is null) continue;
                bars.Add(new Bar
                {
                    Position = g - 0.4 + barWidth * (r + 0.5),
                    Value = s.Score * 100,
                    Size = barWidth * 0.95,
                    FillColor = palette.GetColor(r),
                    LineWidth = 0,
                });
            }
            var plotted = plot.Add.Bars(bars);
            plotted.LegendText = runLabels.GetValueOrDefault(runs[r], runs[r]);
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, groups.Count).Select(i => (double)i).ToArray(), groups.ToArray());
        plot.Axes.SetLimitsY(0, 105);
        plot.Axes.SetLimitsX(-0.6, groups.Count - 0.4);
        Decorate(plot, title, groupName, "score (%)", legend: runs.Count > 1);
        return plot.GetImageBytes(width, HeightWithLegend(runs.Count > 1 ? runs.Count : 0), ImageFormat.Png);
    }

    /// <summary>Per-sample score against output tokens, one colour per run.</summary>
    public byte[] ScoreVsOutputTokens(IReadOnlyList<SamplePoint> points, IReadOnlyDictionary<string, string> runLabels)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var i = 0;
        foreach (var run in points.Where(p => p.Score is not null).GroupBy(p => p.RunId))
        {
            var xs = run.Select(p => (double)p.Usage.OutputTokens).ToArray();
            var ys = run.Select(p => p.Score!.Value * 100).ToArray();
            var scatter = plot.Add.ScatterPoints(xs, ys, palette.GetColor(i++));
            scatter.MarkerSize = 6;
            scatter.LegendText = runLabels.GetValueOrDefault(run.Key, run.Key);
        }
        plot.Axes.SetLimitsY(-5, 105);
        Decorate(plot, "Score vs output tokens (one point per graded sample)", "output tokens", "score (%)", legend: i > 1);
        return plot.GetImageBytes(width, HeightWithLegend(i > 1 ? i : 0), ImageFormat.Png);
    }

    /// <summary>Cost of each run in US dollars (runs without a known price are left out by the caller).</summary>
    public byte[] CostPerRun(IReadOnlyList<(string Label, double Usd)> costs)
    {
        var plot = new Plot();
        var bars = costs.Select((c, i) => new Bar { Position = i, Value = c.Usd, FillColor = Colors.SteelBlue, LineWidth = 0 }).ToList();
        plot.Add.Bars(bars);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, costs.Count).Select(i => (double)i).ToArray(), costs.Select(c => c.Label).ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = costs.Count > 4 ? 20 : 0;
        plot.Axes.Bottom.TickLabelStyle.Alignment = costs.Count > 4 ? Alignment.UpperLeft : Alignment.UpperCenter;
        plot.Axes.Margins(bottom: 0);
        // Rotated labels need room below the axis, or the image edge cuts them.
        if (costs.Count > 4) plot.Axes.Bottom.MinimumSize = 20 + 7 * costs.Max(c => c.Label.Length);
        Decorate(plot, "Cost per run", "", "cost (USD)", legend: false);
        return plot.GetImageBytes(width, height + (costs.Count > 4 ? 80 : 0), ImageFormat.Png);
    }

    /// <summary>Test-time scaling: score against per-sample token budget (log scale), one step curve per scaffold run.</summary>
    public byte[] ScalingCurves(IReadOnlyList<(string Label, IReadOnlyList<BudgetPoint> Curve)> curves)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < curves.Count; i++)
        {
            var (label, curve) = curves[i];
            var xs = curve.Select(p => Math.Log10(Math.Max(1, p.TokenBudget))).ToArray();
            var ys = curve.Select(p => p.Score * 100).ToArray();
            var line = plot.Add.Scatter(xs, ys, palette.GetColor(i));
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 3;
            line.LegendText = label;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => Html10(v),
        };
        plot.Axes.SetLimitsY(0, 105);
        Decorate(plot, "Test-time scaling: score vs token budget per sample", "token budget per sample (log scale)", "score (%)", legend: curves.Count > 0);
        return plot.GetImageBytes(width, HeightWithLegend(curves.Count), ImageFormat.Png);
    }

    /// <summary>The legend sits below the plot, outside the data area; the image grows by one line per entry so the
    /// plot keeps its height however many runs there are, and no entry is drawn over a bar.</summary>
    public int HeightWithLegend(int entries) => height + (entries > 0 ? 16 + 20 * entries : 0);

    private static string Html10(double log10)
    {
        var v = Math.Pow(10, log10);
        return v switch
        {
            >= 1e6 => $"{v / 1e6:0.#}M",
            >= 1e3 => $"{v / 1e3:0.#}k",
            _ => $"{v:0}",
        };
    }

    private static void Decorate(Plot plot, string title, string x, string y, bool legend)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        if (legend)
        {
            plot.ShowLegend(Edge.Bottom);
        }
    }
}
