using Qed.Benchmarks;

namespace Qed.Stats;

/// <summary>One row of an original-harness result file, reduced to what its summary table reads.</summary>
/// <param name="Score">the <c>score</c> column: points 0–7 (proof benchmarks) or 0/1 (answer benchmarks); null = not graded.</param>
/// <param name="OutputTokens"><c>cost_run.output_tokens</c> (null when missing).</param>
/// <param name="SolutionTokens"><c>grade_cost.input_tokens</c>, which the original counts as the solution's tokens.</param>
/// <param name="ModelSolution"><c>model_solution</c>; the empty string marks a truncated reply.</param>
public sealed record OriginalRow(string ProblemId, double? Score, double? OutputTokens, double SolutionTokens, string? ModelSolution);

/// <summary>How several sample indexes are merged into the headline score (the original's <c>--merge-method</c>).</summary>
public enum MergeMethod { Mean, Max, Min }

/// <summary>
/// The columns of the original harness's summary table (<c>eval/scripts/stats.py</c>), recomputed from their published
/// definitions over one file per sample index (same problems, same order):
/// Overall = merge of the per-index means of <c>score</c> with missing grades as 0; Std = sample std (ddof 1) of those
/// means; the two splits (ids containing "Basic" vs the rest when any id does, else ids containing 2024 or 2025 vs the
/// rest) averaged per index then across indexes; CoT tokens = output tokens − solution tokens; TokC / TokI = output
/// tokens of answers scoring at least 5 / below 5; Tok Sum/Run = mean over indexes of the summed output tokens;
/// Truncated Frac = share of empty model solutions. With a single index the original averages only graded rows, has no
/// Std and splits correct / incorrect at 6; that branch is reproduced too. Values are in the file's units (points).
/// </summary>
public sealed record OriginalStats(
    int Indexes, MergeMethod Merge, double? Overall, double? Std, string Split0Name, string Split1Name, double? Split0, double? Split1,
    (double? Min, double? Mean, double? Max) Cot, (double? Min, double? Mean, double? Max) Solution, double? TokMean, double? TokSumPerRun,
    (double? Min, double? Mean, double? Max) TokCorrect, (double? Min, double? Mean, double? Max) TokIncorrect, double? TruncatedFrac)
{
    public static OriginalStats Compute(IReadOnlyList<IReadOnlyList<OriginalRow>> files, MergeMethod merge = MergeMethod.Mean)
    {
        if (files.Count == 0) throw new ArgumentException("no result files", nameof(files));
        if (files.Select(f => f.Count).Distinct().Count() != 1)
            throw new QedException("the result files must have the same number of rows to merge (one file per sample index)");
        var basic = files[0].Any(r => r.ProblemId.Contains("Basic", StringComparison.Ordinal));
        var (n0, n1) = basic ? ("Basic", "Advanced") : ("2024/2025", "Others");
        bool InSplit0(OriginalRow r) => basic ? r.ProblemId.Contains("Basic", StringComparison.Ordinal)
            : r.ProblemId.Contains("2024", StringComparison.Ordinal) || r.ProblemId.Contains("2025", StringComparison.Ordinal);

        var all = files.SelectMany(f => f).ToList();
        var withTokens = all.Where(r => r.OutputTokens is not null).ToList();
        var cot = MinMeanMax(withTokens.Select(r => r.OutputTokens!.Value - r.SolutionTokens));
        var sol = MinMeanMax(all.Select(r => r.SolutionTokens));
        var tokMean = withTokens.Count == 0 ? (double?)null : withTokens.Average(r => r.OutputTokens!.Value);
        var truncated = all.Count == 0 ? (double?)null : all.Count(r => r.ModelSolution == "") / (double)all.Count;

        if (files.Count == 1)
        {
            // The original's single-file branch: pandas means skip missing scores, correct means at least 6.
            var rows = files[0];
            double? MeanGraded(IEnumerable<OriginalRow> rs) { var v = rs.Where(r => r.Score is not null).ToList(); return v.Count == 0 ? null : v.Average(r => r.Score!.Value); }
            return new OriginalStats(1, merge, MeanGraded(rows), null, n0, n1, MeanGraded(rows.Where(InSplit0)), MeanGraded(rows.Where(r => !InSplit0(r))),
                cot, sol, tokMean, SumOrNull(rows), 
                MinMeanMax(rows.Where(r => (r.Score ?? 0) >= 6 && r.OutputTokens is not null).Select(r => r.OutputTokens!.Value)),
                MinMeanMax(rows.Where(r => (r.Score ?? 0) < 6 && r.OutputTokens is not null).Select(r => r.OutputTokens!.Value)),
                truncated);
        }

        var means = files.Select(f => f.Average(r => r.Score ?? 0)).ToList();
        var overall = merge switch { MergeMethod.Max => means.Max(), MergeMethod.Min => means.Min(), _ => means.Average() };
        double? SplitMean(Func<OriginalRow, bool> keep)
        {
            // An index with no row in the split has a NaN mean there; the original's nanmean skips it.
            var ms = files.Select(f => f.Where(keep).ToList()).Where(rs => rs.Count > 0).Select(rs => rs.Average(r => r.Score ?? 0)).ToList();
            return ms.Count == 0 ? null : ms.Average();
        }
        var sums = files.Select(SumOrNull).Where(s => s is not null).Select(s => s!.Value).ToList();
        return new OriginalStats(files.Count, merge, overall, EvalStats.SampleStd(means), n0, n1, SplitMean(InSplit0), SplitMean(r => !InSplit0(r)),
            cot, sol, tokMean, sums.Count == 0 ? null : sums.Average(),
            MinMeanMax(withTokens.Where(r => (r.Score ?? 0) >= 5).Select(r => r.OutputTokens!.Value)),
            MinMeanMax(withTokens.Where(r => (r.Score ?? 0) < 5).Select(r => r.OutputTokens!.Value)),
            truncated);
    }

    /// <summary>The rows of one (run, judge) in the original's units, one list per sample index, problems in one order.</summary>
    public static IReadOnlyList<IReadOnlyList<OriginalRow>> FromStats(EvalStats stats, GradingMode mode) =>
        stats.Scored.GroupBy(x => x.Sample.RunIndex).OrderBy(g => g.Key)
            .Select(g => (IReadOnlyList<OriginalRow>)g.OrderBy(x => x.Sample.ProblemId, StringComparer.Ordinal)
                .Select(x => new OriginalRow(x.Sample.ProblemId, OriginalUnits.Score(x.Points, x.MaxPoints, mode),
                    x.Sample.Usage.OutputTokens, CurrentGrade(x)?.Usage.InputTokens ?? 0, x.Sample.Answer)).ToList())
            .ToList();

    /// <summary>The sample's grade by this judge when it judged the answer the sample holds now (graded or failed).</summary>
    private static Qed.Runs.GradeRecord? CurrentGrade(ScoredSample x) =>
        x.Grade is { } g && (g.AnswerHash is null || g.AnswerHash == Qed.Runs.AnswerHashing.Of(x.Sample.Answer)) ? g : null;

    private static double? SumOrNull(IReadOnlyList<OriginalRow> rows) =>
        rows.Any(r => r.OutputTokens is not null) ? rows.Sum(r => r.OutputTokens ?? 0) : null;

    private static (double? Min, double? Mean, double? Max) MinMeanMax(IEnumerable<double> xs)
    {
        var list = xs.ToList();
        return list.Count == 0 ? (null, null, null) : (list.Min(), list.Average(), list.Max());
    }

    /// <summary>The summary table's header names and values, formatted as the original prints them.</summary>
    public IReadOnlyList<(string Name, string Value)> Columns()
    {
        static string Score(double? v) => v is null || double.IsNaN(v.Value) ? "N/A" : v.Value.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture);
        static string Tok(double? v) => v is null || double.IsNaN(v.Value) ? "N/A" : ((long)v.Value).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var cols = new List<(string, string)> { ("Overall", Score(Overall)) };
        if (Indexes > 1) cols.Add(("Std", Score(Std)));
        cols.AddRange([
            (Split0Name, Score(Split0)), (Split1Name, Score(Split1)),
            ("CoT Min", Tok(Cot.Min)), ("CoT Mean", Tok(Cot.Mean)), ("CoT Max", Tok(Cot.Max)),
            ("Sol Min", Tok(Solution.Min)), ("Sol Mean", Tok(Solution.Mean)), ("Sol Max", Tok(Solution.Max)),
            ("Tok Mean", Tok(TokMean)), ("Tok Sum/Run", Tok(TokSumPerRun)),
            ("TokC Min", Tok(TokCorrect.Min)), ("TokC Mean", Tok(TokCorrect.Mean)), ("TokC Max", Tok(TokCorrect.Max)),
            ("TokI Min", Tok(TokIncorrect.Min)), ("TokI Mean", Tok(TokIncorrect.Mean)), ("TokI Max", Tok(TokIncorrect.Max)),
            ("Truncated Frac", Score(TruncatedFrac)),
        ]);
        return cols;
    }
}

/// <summary>The original's <c>score</c> units: points out of 7 on proof benchmarks, 0/1 on answer benchmarks.</summary>
public static class OriginalUnits
{
    public static double? Score(double? points, int maxPoints, GradingMode mode) =>
        points is not { } p ? null : mode == GradingMode.Answer ? p / maxPoints : p * 7.0 / maxPoints;

    public static GradingMode ModeOf(string gradingMode) =>
        Enum.TryParse<GradingMode>(gradingMode, ignoreCase: true, out var m) ? m : GradingMode.Proof;
}
