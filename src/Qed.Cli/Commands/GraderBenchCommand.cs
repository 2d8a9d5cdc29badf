using System.CommandLine;
using System.Globalization;
using Qed.Grading;
using Qed.Grading.Quality;
using Qed.Inference;
using Qed.Llm;
using Qed.Runs;

namespace Qed.Cli.Commands;

/// <summary>Command: grader-bench (issue 10) — how well a judge agrees with human graders.</summary>
internal static class GraderBenchCommand
{
    public static IEnumerable<Command> Create() => [GraderBench()];

    private static Command GraderBench()
    {
        var data = new Option<string>("--data") { Description = "human-graded proofs: IMO-GradingBench CSV, ProofBench CSV/JSONL/Parquet, or MathArena outputs (.json file or folder, JSONL)", Required = true };
        var judge = new Option<string>("--judge") { Description = "judge model config (path or shipped name), or a panel config with judges: [...] and combine: min|mean", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "grading prompt file to test (replaces the proof / marking-scheme prompt; must use {{proof}})" };
        var runs = new Option<int>("--runs") { Description = "judge every proof K times", DefaultValueFactory = _ => 1 };
        var db = new Option<string>("--db") { Description = "run store (SQLite): grades are kept, a rerun grades only what is missing", DefaultValueFactory = _ => "qed.db" };
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of a table" };
        var concurrency = new Option<int>("--concurrency") { Description = "judge calls at once", DefaultValueFactory = _ => 16 };
        var command = new Command("grader-bench", "Grade human-graded proofs with a judge and report how well it agrees with the humans")
        {
            data, judge, prompt, runs, db, json, concurrency,
        };
        return command.WithAction(async (p, ct) =>
        {
            var set = await HumanGradedSet.LoadAsync(p.GetValue(data)!, ct);
            var options = new GraderOptions { Prompt = p.GetValue(prompt) is { } path ? LoadPrompt(path) : null };
            using var factory = new ChatClientFactory(new ChatClientFactoryOptions
            {
                GlobalConcurrency = Math.Max(1, p.GetValue(concurrency)) * 4,
                RequestLogPath = Environment.GetEnvironmentVariable("QED_REQUEST_LOG"),
                Warn = w => Console.Error.WriteLine("qed: warning: " + w),
            }, LocalModelSource.FromEnvironment());
            var panel = await JudgePanel.OpenAsync(p.GetValue(judge)!, factory,
                new PromptLibrary(Environment.GetEnvironmentVariable("QED_PROMPTS_DIR")), options, ct);
            await using var store = await RunStore.OpenAsync(p.GetValue(db)!, ct);
            var report = await new GraderBench(store, panel).RunAsync(set, p.GetValue(runs), p.GetValue(concurrency), null, ct);
            if (p.GetValue(json)) Console.WriteLine(report.ToJson().ToJsonString());
            else Print(report);
            return CommandLine.ExitCodes.Finished(report.GradeFailed);
        });
    }

    private static PromptTemplate LoadPrompt(string path)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: no such prompt file");
        var text = string.Join('\n', File.ReadAllText(path).Replace("\r\n", "\n").Split('\n').Where(l => !l.StartsWith("%%", StringComparison.Ordinal))).Trim() + "\n";
        var template = PromptTemplate.Parse("Grading/" + Path.GetFileNameWithoutExtension(path), text, path);
        if (!template.Placeholders.Contains("proof") && !template.Placeholders.Contains("student_answer")) throw new QedException($"{path}:1: the prompt has no {{{{proof}}}} placeholder");
        var known = ProofGrader.PlaceholderNames;
        var unknown = template.Placeholders.Except(known).ToList();
        if (unknown.Count > 0) throw new QedException($"{path}:1: unknown placeholder(s) {string.Join(", ", unknown)} (known: {string.Join(", ", known)})");
        return template;
    }

    private static void Print(GraderBenchReport r)
    {
        var m = r.Metrics;
        static string F(double? x) => x is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
        Console.WriteLine($"grader-bench {r.Data} ({r.Layout}), judge {r.Judge}, {r.Items} proofs × {r.Runs} run(s)");
        Console.WriteLine($"  scored            {m.N} (excluded: {r.GradeFailed} grade_failed, {r.Ungraded} ungraded; {r.GradedNow} graded now)");
        Console.WriteLine($"  MAE (0-7)         {F(m.Mae)}");
        Console.WriteLine($"  exact accuracy    {F(m.Accuracy)}");
        Console.WriteLine($"  bucket accuracy   {F(m.BucketAccuracy)}  (0 / 1-3 / 4-6 / 7)");
        Console.WriteLine($"  Pearson           {F(m.Pearson)}");
        Console.WriteLine($"  Spearman          {F(m.Spearman)}");
        Console.WriteLine($"  Kendall tau-b     {F(m.Kendall)}");
        Console.WriteLine($"  within-problem pairwise consistency {F(m.PairwiseConsistency)} over {m.PairwiseComparisons} pairs");
        Console.WriteLine($"  within-problem centred MAE          {F(m.CentredMae)}");
        Console.WriteLine($"  judge: {r.JudgeUsage.Calls} calls, {r.JudgeUsage.InputTokens} in / {r.JudgeUsage.OutputTokens} out tokens, ${r.JudgeUsage.CostUsd.ToString("0.0000", CultureInfo.InvariantCulture)}");
        Console.WriteLine("  confusion (rows human, columns judge):");
        Console.WriteLine("    " + string.Join("", m.BucketConfusion.Labels.Prepend("").Select(l => l.PadLeft(11))));
        for (var i = 0; i < m.BucketConfusion.Labels.Count; i++)
            Console.WriteLine("    " + m.BucketConfusion.Labels[i].PadLeft(11) + string.Join("", m.BucketConfusion.Counts[i].Select(c => c.ToString(CultureInfo.InvariantCulture).PadLeft(11))));
    }
}
