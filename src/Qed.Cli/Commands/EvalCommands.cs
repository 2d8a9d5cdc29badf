using System.CommandLine;
using System.Globalization;
using Qed.Benchmarks;
using Qed.Grading;
using Qed.Llm;
using Qed.Inference;
using Qed.Runs;
using Qed.Scaffolds;
using Qed.Solvers;
using Qed.Stats;
using Spectre.Console;

namespace Qed.Cli.Commands;

/// <summary>Commands: eval, run, grade, stats, export (issue 2). This file is also the composition root of the harness.</summary>
internal static class EvalCommands
{
    /// <summary>The engine behind <c>--model local:REF</c> (ONNX Runtime, Qed.Inference).</summary>
    private static ILocalModelSource LocalModels() => LocalModelSource.FromEnvironment();

    private static Option<string> BenchOption() => new("--bench") { Description = "imo-proofbench, imo-answerbench, proofbench, or a CSV / JSONL / Parquet file", Required = true };
    private static Option<string> ModelOption() => new("--model") { Description = "model config: a YAML path or a shipped name (e.g. vllm/qed-nano), or local:REF", Required = true };
    private static Option<string> JudgeOption() => new("--judge") { Description = "judge model config (path or shipped name, e.g. google/gemini-3-pro)", Required = true };
    private static Option<string?> ScaffoldOption() => new("--scaffold") { Description = "scaffold config (path or shipped name under configs/scaffolds); default: one call per sample" };
    private static Option<int> RunsOption() => new("--runs") { Description = "independent runs per problem (avg@K)", DefaultValueFactory = _ => 1 };
    private static Option<int?> LimitOption() => new("--limit") { Description = "only the first N problems" };
    private static Option<string?> ProblemsOption() => new("--problems") { Description = "only these problem ids (comma-separated)" };
    private static Option<string> DbOption() => new("--db") { Description = "run store (SQLite)", DefaultValueFactory = _ => "qed.db" };
    private static Option<double?> MaxCostOption() => new("--max-cost") { Description = "stop starting new samples once this many USD are spent (resumable)" };
    private static Option<int> ConcurrencyOption() => new("--concurrency") { Description = "samples solved at once", DefaultValueFactory = _ => 64 };
    private static Option<bool> LenientUtf8Option() => new("--lenient-utf8") { Description = "accept invalid UTF-8 in the benchmark file (replaced by U+FFFD, with a warning naming each line)" };

    private sealed record ColumnOptions(Option<string?> Problem, Option<string?> Id, Option<string?> Solution, Option<string?> Answer,
        Option<string?> Guidelines, Option<string?> Scheme, Option<string?> Level, Option<string?> Category)
    {
        public static ColumnOptions Create() => new(
            new("--problem-column") { Description = "column holding the problem statement" },
            new("--id-column") { Description = "column holding the problem id" },
            new("--solution-column") { Description = "column holding the reference solution" },
            new("--answer-column") { Description = "column holding the short answer" },
            new("--guidelines-column") { Description = "column holding the grading guidelines" },
            new("--scheme-column") { Description = "column holding the marking scheme" },
            new("--level-column") { Description = "column holding the level" },
            new("--category-column") { Description = "column holding the category" });

        public void AddTo(Command c) { foreach (var o in new[] { Problem, Id, Solution, Answer, Guidelines, Scheme, Level, Category }) c.Options.Add(o); }

        public ColumnMapping Read(ParseResult p) => new()
        {
            Problem = p.GetValue(Problem), Id = p.GetValue(Id), Solution = p.GetValue(Solution), Answer = p.GetValue(Answer),
            Guidelines = p.GetValue(Guidelines), MarkingScheme = p.GetValue(Scheme), Level = p.GetValue(Level), Category = p.GetValue(Category),
        };
    }

    public static IEnumerable<Command> Create() => [EvalCommand(), RunCommand(), GradeCommand(), StatsCommand(), ExportCommand()];

    private static Command EvalCommand()
    {
        var bench = BenchOption(); var model = ModelOption(); var judge = JudgeOption(); var scaffold = ScaffoldOption();
        var runs = RunsOption(); var limit = LimitOption(); var problems = ProblemsOption(); var db = DbOption();
        var output = new Option<string?>("--out") { Description = "also export the results to FILE.jsonl or FILE.parquet" };
        var maxCost = MaxCostOption(); var concurrency = ConcurrencyOption(); var columns = ColumnOptions.Create(); var lenient = LenientUtf8Option();
        var command = new Command("eval", "Solve, grade and score a benchmark (resumable: rerun the same command to continue)")
        {
            bench, model, judge, scaffold, runs, limit, problems, db, output, maxCost, concurrency, lenient,
        };
        columns.AddTo(command);
        return command.WithAction(async (p, ct) =>
        {
            using var factory = Factory(p.GetValue(concurrency));
            var plan = await PlanAsync(factory, p.GetValue(bench)!, columns.Read(p), p.GetValue(model)!, p.GetValue(scaffold),
                p.GetValue(runs), p.GetValue(limit), p.GetValue(problems), p.GetValue(lenient), ct);
            var judgeClient = await factory.OpenAsync(p.GetValue(judge)!, ct); // before any request: a missing key fails here
            await using var store = await RunStore.OpenAsync(p.GetValue(db)!, ct);
            var outcome = await SolveAsync(store, plan, p.GetValue(concurrency), p.GetValue(maxCost), ct);
            if (outcome.StoppedByCostLimit) Console.Error.WriteLine("qed: not grading: the cost limit is reached (rerun with a higher --max-cost to continue)");
            else await GradeAsync(store, judgeClient, p.GetValue(concurrency), ct);
            var stats = await EvalStats.ComputeAsync(store, ct);
            PrintTable(stats);
            if (p.GetValue(output) is { } path)
            {
                var n = await Export.WriteAsync(store, path, ct);
                Console.Error.WriteLine($"qed: exported {n} rows to {path}");
            }
            return 0;
        });
    }

    private static Command RunCommand()
    {
        var bench = BenchOption(); var model = ModelOption(); var scaffold = ScaffoldOption();
        var runs = RunsOption(); var limit = LimitOption(); var problems = ProblemsOption(); var db = DbOption();
        var maxCost = MaxCostOption(); var concurrency = ConcurrencyOption(); var columns = ColumnOptions.Create(); var lenient = LenientUtf8Option();
        var command = new Command("run", "Solve a benchmark without grading (resumable)")
        {
            bench, model, scaffold, runs, limit, problems, db, maxCost, concurrency, lenient,
        };
        columns.AddTo(command);
        return command.WithAction(async (p, ct) =>
        {
            using var factory = Factory(p.GetValue(concurrency));
            var plan = await PlanAsync(factory, p.GetValue(bench)!, columns.Read(p), p.GetValue(model)!, p.GetValue(scaffold),
                p.GetValue(runs), p.GetValue(limit), p.GetValue(problems), p.GetValue(lenient), ct);
            await using var store = await RunStore.OpenAsync(p.GetValue(db)!, ct);
            var outcome = await SolveAsync(store, plan, p.GetValue(concurrency), p.GetValue(maxCost), ct);
            return 0;
        });
    }

    private static Command GradeCommand()
    {
        var db = DbOption(); var judge = JudgeOption(); var concurrency = ConcurrencyOption();
        var command = new Command("grade", "Grade every finished sample in the run store (skips those this judge already graded)") { db, judge, concurrency };
        return command.WithAction(async (p, ct) =>
        {
            using var factory = Factory(p.GetValue(concurrency));
            var judgeClient = await factory.OpenAsync(p.GetValue(judge)!, ct);
            await using var store = await OpenExistingAsync(p.GetValue(db)!, ct);
            await GradeAsync(store, judgeClient, p.GetValue(concurrency), ct);
            return 0;
        });
    }

    private static Command StatsCommand()
    {
        var db = DbOption();
        var json = new Option<bool>("--json") { Description = "print one JSON object instead of a table" };
        var command = new Command("stats", "Summarise the run store: avg@K with std, by level and category, tokens, dollars, failures") { db, json };
        return command.WithAction(async (p, ct) =>
        {
            await using var store = await OpenExistingAsync(p.GetValue(db)!, ct);
            var stats = await EvalStats.ComputeAsync(store, ct);
            if (p.GetValue(json)) Console.WriteLine(stats.ToJson().ToJsonString());
            else PrintTable(stats);
            return 0;
        });
    }

    private static Command ExportCommand()
    {
        var db = DbOption();
        var output = new Option<string>("--out") { Description = "FILE.jsonl or FILE.parquet", Required = true };
        var command = new Command("export", "Export one row per sample in the original harness's columns") { db, output };
        return command.WithAction(async (p, ct) =>
        {
            await using var store = await OpenExistingAsync(p.GetValue(db)!, ct);
            var n = await Export.WriteAsync(store, p.GetValue(output)!, ct);
            Console.Error.WriteLine($"qed: exported {n} rows to {p.GetValue(output)}");
            return 0;
        });
    }

    // ---- composition ---------------------------------------------------------------------------------

    private static ChatClientFactory Factory(int concurrency) => new(new ChatClientFactoryOptions
    {
        GlobalConcurrency = Math.Max(1, concurrency) * 4,
        RequestLogPath = Environment.GetEnvironmentVariable("QED_REQUEST_LOG"),
        Warn = w => Console.Error.WriteLine("qed: warning: " + w),
    }, LocalModels());

    private static async Task<RunStore> OpenExistingAsync(string db, CancellationToken ct) =>
        File.Exists(db) ? await RunStore.OpenAsync(db, ct) : throw new QedException($"{db}: no run store here (run `qed eval` or `qed run` first, or pass --db)");

    private static async Task<EvalPlan> PlanAsync(ChatClientFactory factory, string benchRef, ColumnMapping columns, string modelRef,
        string? scaffoldRef, int runs, int? limit, string? problemIds, bool lenientUtf8, CancellationToken ct)
    {
        if (runs < 1) throw new QedException("--runs must be at least 1");
        if (limit is < 1) throw new QedException("--limit must be at least 1");
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        // Streamed: one checking pass over the selected rows, then the runner reads them again as it goes, so a
        // large file costs the rows in flight, not the file (--limit 10 reads 10 rows).
        var input = new InputOptions { LenientUtf8 = lenientUtf8, Warn = w => Console.Error.WriteLine("qed: warning: " + w) };
        var ids = string.IsNullOrWhiteSpace(problemIds) ? null
            : problemIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var opened = await new BenchmarkLoader(http: http, input: input).OpenAsync(benchRef, columns, limit, ids, ct);
        var bench = opened.Benchmark;
        foreach (var w in bench.Warnings) Console.Error.WriteLine("qed: warning: " + w);

        var model = await factory.OpenAsync(modelRef, ct);
        var prompts = new PromptLibrary(Environment.GetEnvironmentVariable("QED_PROMPTS_DIR"));
        var scaffold = await new ScaffoldRegistry().ResolveAsync(scaffoldRef, bench.Mode, prompts, factory, ct);
        return new EvalPlan(bench, [], runs, scaffold.Solver, model, scaffold.RoleModels, scaffold.Budget, scaffold.Config,
            factory.GlobalLimit, scaffold.PromptsHash) { Stream = new ProblemStream(opened.Count, opened.Open), Secrets = factory.Secrets };
    }

    private static async Task<RunOutcome> SolveAsync(RunStore store, EvalPlan plan, int concurrency, double? maxCost, CancellationToken ct)
    {
        var runner = new EvalRunner(store);
        var total = plan.ProblemCount * plan.Runs;
        Console.Error.WriteLine($"qed: {plan.Benchmark.Name}: {plan.ProblemCount} problems × {plan.Runs} runs with {plan.Model.Config.Name} ({plan.Solver.Name}); store {store.Path}");
        RunOutcome outcome;
        if (Interactive())
        {
            outcome = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("solving", maxValue: Math.Max(1, total));
                    var progress = new SyncProgress<RunProgress>(r =>
                    {
                        task.Value = r.Done;
                        task.Description = $"solving  {r.Done}/{r.Total}  failed {r.Failed}  {r.OutputTokens:N0} tok  ${r.CostUsd:0.00}";
                    });
                    return await runner.RunAsync(plan, concurrency, maxCost, progress, ct);
                });
        }
        else
        {
            var lastPrinted = -1;
            var progress = new SyncProgress<RunProgress>(r =>
            {
                var step = Math.Max(1, r.Total / 10);
                if (r.Done / step == lastPrinted / step && r.Done != r.Total) return;
                lastPrinted = r.Done;
                Console.Error.WriteLine($"qed: solved {r.Done}/{r.Total}, failed {r.Failed}, {r.OutputTokens} output tokens, ${r.CostUsd:0.0000}");
            });
            outcome = await runner.RunAsync(plan, concurrency, maxCost, progress, ct);
        }
        if (outcome.StopReason is not null) Console.Error.WriteLine($"qed: stopped: {outcome.StopReason}; rerun the same command to resume");
        if (outcome.Failed > 0) Console.Error.WriteLine($"qed: {outcome.Failed} samples failed (see `qed export`); rerun the same command to retry them");
        return outcome;
    }

    private static async Task GradeAsync(RunStore store, ModelClient judge, int concurrency, CancellationToken ct)
    {
        var grader = new ProofGrader(judge, new PromptLibrary(Environment.GetEnvironmentVariable("QED_PROMPTS_DIR")), answerChecker: AnswerChecker());
        var outcome = await new GradingPass(store, grader).RunAsync(concurrency, null, ct);
        Console.Error.WriteLine($"qed: graded {outcome.Graded} with {judge.Config.Name} ({outcome.AlreadyGraded} already graded, {outcome.Failed} grade_failed, {outcome.NotGradable} not finished)");
    }

    /// <summary>The rule-based first stage of answer grading (Qed.Answers); the LLM judge sees only what it leaves undecided.</summary>
    private static IAnswerChecker AnswerChecker() => new SymbolicAnswerChecker();

    private static bool Interactive() =>
        !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive && Environment.GetEnvironmentVariable("NO_COLOR") is null;

    private static void PrintTable(EvalStats s)
    {
        static string Pct(double? v) => v is null ? "–" : v.Value.ToString("0.0", CultureInfo.InvariantCulture);
        var table = new Table().AddColumn("metric").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow($"score (avg@{s.Runs})", $"{Pct(s.Score)} ± {Pct(s.ScoreStd)}");
        table.AddRow("problems × runs", $"{s.Problems} × {s.Runs}");
        table.AddRow("graded / samples", $"{s.Graded} / {s.Samples}");
        foreach (var (k, v) in s.ByLevel) table.AddRow($"level {Markup.Escape(k)}", Pct(v));
        foreach (var (k, v) in s.ByCategory) table.AddRow($"category {Markup.Escape(k)}", Pct(v));
        table.AddRow("output tokens (mean)", s.OutputTokensMean.ToString("0", CultureInfo.InvariantCulture));
        table.AddRow("cost (USD)", s.CostUsd.ToString("0.0000", CultureInfo.InvariantCulture));
        table.AddRow("failed / truncated / budget exhausted", $"{s.Failed} / {s.Truncated} / {s.BudgetExhausted}");
        table.AddRow("grade_failed / ungraded / pending", $"{s.GradeFailed} / {s.Ungraded} / {s.Pending}");
        AnsiConsole.Write(table);
    }

    /// <summary>Runs the callback on the reporting thread (Progress&lt;T&gt; would post to the thread pool out of order).</summary>
    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        private readonly object _gate = new();
        public void Report(T value) { lock (_gate) report(value); }
    }
}
