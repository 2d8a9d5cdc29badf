using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Qed.Data;

namespace Qed.Cli.Commands;

/// <summary>Commands: data generate|grade|filter|rubrics|build-sft|decontaminate|dedup (issue 8).</summary>
internal static class DataCommands
{
    public static IEnumerable<Command> Create()
    {
        var data = new Command("data", "Build training data: teacher generation, grading, filtering, rubrics, SFT assembly, decontamination, dedup.");
        data.Subcommands.Add(Decontaminate());
        data.Subcommands.Add(Dedup());
        data.Subcommands.Add(BuildSft());
        return [data];
    }

    private static Command Decontaminate()
    {
        var input = new Option<string>("--in") { Description = "items to check (JSONL, Parquet or CSV)", Required = true };
        var against = new Option<string>("--against") { Description = "comma-separated benchmarks (imo-proofbench, imo-answerbench) and/or files with an id and a problem column", Required = true };
        var ngram = new Option<int>("--ngram") { Description = "words per n-gram for exact overlap", DefaultValueFactory = _ => 13 };
        var similarity = new Option<double>("--similarity") { Description = "MinHash near-duplicate threshold (max of Jaccard and containment over word trigrams)", DefaultValueFactory = _ => 0.5 };
        var field = new Option<string?>("--field") { Description = "field holding the problem text (default: problem, question, prompt or text)" };
        var output = new Option<string>("--out") { Description = "items without overlap", Required = true };
        var report = new Option<string>("--report") { Description = "JSON report listing every hit with its benchmark id", Required = true };
        var command = new Command("decontaminate", "Remove items that overlap benchmark problems (normalised n-grams and MinHash near-duplicates).")
        {
            input, against, ngram, similarity, field, output, report,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var watch = Stopwatch.StartNew();
            var benchmarks = await BenchmarkTexts.LoadAsync(parse.GetValue(against)!, BenchmarkTexts.DefaultDataDir(), ct);
            var summary = await DecontaminateStage.RunAsync(parse.GetValue(input)!, benchmarks, parse.GetValue(output)!, parse.GetValue(report)!,
                new DecontaminationOptions { NGram = parse.GetValue(ngram), Similarity = parse.GetValue(similarity) },
                parse.GetValue(field), new ProgressBar(), ct);
            Console.WriteLine($"decontaminate: {summary.Rows} items checked against {summary.BenchmarkProblems} benchmark problems; " +
                $"{summary.Removed} removed ({summary.Hits} hits), {summary.Kept} kept -> {parse.GetValue(output)}; report -> {parse.GetValue(report)} ({watch.Elapsed.TotalSeconds:F1}s)");
            return 0;
        });
    }

    private static Command Dedup()
    {
        var input = new Option<string>("--in") { Description = "items (JSONL, Parquet or CSV)", Required = true };
        var output = new Option<string>("--out") { Description = "first item of every near-duplicate group", Required = true };
        var threshold = new Option<double>("--threshold") { Description = "estimated Jaccard similarity (word trigrams) from which items are duplicates", DefaultValueFactory = _ => 0.8 };
        var field = new Option<string?>("--field") { Description = "field holding the text (default: problem, question, prompt or text)" };
        var command = new Command("dedup", "Remove near-duplicate items by MinHash/LSH, keeping the first of each group.") { input, output, threshold, field };
        return command.WithAction(async (parse, ct) =>
        {
            var watch = Stopwatch.StartNew();
            var summary = await DedupStage.RunAsync(parse.GetValue(input)!, parse.GetValue(output)!,
                new DedupOptions { Threshold = parse.GetValue(threshold) }, parse.GetValue(field), new ProgressBar(), ct);
            Console.WriteLine($"dedup: {summary.Rows} items, {summary.Removed} near-duplicates removed, {summary.Kept} kept -> {parse.GetValue(output)} ({watch.Elapsed.TotalSeconds:F1}s)");
            return 0;
        });
    }

    private static Command BuildSft()
    {
        var input = new Option<string[]>("--in") { Description = "graded generations (from qed data grade); several files allowed", Required = true, AllowMultipleArgumentsPerToken = true };
        var minPoints = new Option<double>("--min-points") { Description = "keep proofs graded at least this many points (0-7)", Required = true };
        var output = new Option<string>("--out") { Description = "SFT set (.parquet or .jsonl) with FineProofs-SFT columns", Required = true };
        var command = new Command("build-sft", "Assemble an SFT set from graded teacher proofs (FineProofs-SFT columns).") { input, minPoints, output };
        return command.WithAction(async (parse, ct) =>
        {
            var s = await SftAssembly.RunAsync(parse.GetValue(input)!, parse.GetValue(minPoints), parse.GetValue(output)!, progress: new ProgressBar(), cancellationToken: ct);
            Console.WriteLine($"build-sft: {s.Rows} rows read; {s.Written} written -> {parse.GetValue(output)}; skipped: {s.Failed} failed, " +
                $"{s.Ungraded} ungraded, {s.Truncated} truncated, {s.BelowMinPoints} below {parse.GetValue(minPoints).ToString(CultureInfo.InvariantCulture)} points, {s.Duplicates} near-duplicates");
            return 0;
        });
    }

    /// <summary>A one-line progress bar on stderr (redrawn in place on a terminal, a line every 10% otherwise).</summary>
    private sealed class ProgressBar : IProgress<StageProgress>
    {
        private readonly bool _interactive = !Console.IsErrorRedirected;
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private int _lastDecile = -1;
        private readonly object _lock = new();

        public void Report(StageProgress p)
        {
            lock (_lock)
            {
                var fraction = p.Total is > 0 ? (double)p.Done / p.Total.Value : 0;
                var width = 30;
                var filled = (int)Math.Round(fraction * width);
                var rate = p.Done / Math.Max(_watch.Elapsed.TotalSeconds, 1e-3);
                var line = $"{p.Stage} [{new string('#', filled)}{new string('.', width - filled)}] {p.Done}/{p.Total?.ToString() ?? "?"} ({rate:F1}/s){(p.Note is null ? "" : " " + p.Note)}";
                if (_interactive)
                {
                    Console.Error.Write("\r" + line);
                    if (p.Total is not null && p.Done >= p.Total) Console.Error.WriteLine();
                }
                else
                {
                    var decile = (int)(fraction * 10);
                    if (decile != _lastDecile) { _lastDecile = decile; Console.Error.WriteLine(line); }
                }
            }
        }
    }
}
