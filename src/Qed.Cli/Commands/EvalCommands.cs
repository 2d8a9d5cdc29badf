using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Cli.CommandLine;
using Qed.Grading;
using Qed.Llm;
using Qed.Inference;
using Qed.Protocols;
using Qed.Runs;
using Qed.Scaffolds;
using Qed.Solvers;
using Qed.Stats;
using Spectre.Console;

namespace Qed.Cli.Commands;

/// <summary>Commands: eval, run, grade, stats, export, import (issues 2, 13). This file is also the composition root of the harness.
/// Vocabulary: a <em>run</em> is one identity (benchmark, model, scaffold, prompts, protocol); its <em>samples</em> are the
/// problems × sample indexes 0..K-1 (<c>--runs K</c>). Every printed number names its run and its judge.</summary>
internal static class EvalCommands
{
    /// <summary>The engine behind <c>--model local:REF</c> (ONNX Runtime, Qed.Inference).</summary>
    private static ILocalModelSource LocalModels() => LocalModelSource.FromEnvironment();

    private static Option<string> BenchOption() => new("--bench") { Description = "imo-proofbench, imo-answerbench, proofbench, or a CSV / JSONL / Parquet file", Required = true };
    private static Option<string> ModelOption() => new("--model") { Description = "model config: a YAML path or a shipped name (e.g. vllm/qed-nano), or local:REF", Required = true };
    private static Option<string[]> JudgeOption() => new("--judge")
    {
        Description = "judge model config (path or shipped name, e.g. google/gemini-3-pro); repeat it for a panel (with --combine)",
        Required = true, Arity = ArgumentArity.OneOrMore,
    };
    private static Option<string?> CombineOption() => new("--combine") { Description = "how a panel of judges combines its points: min or mean" };
    private static Option<string?> ScaffoldOption() => new("--scaffold") { Description = "scaffold config (path or shipped name under configs/scaffolds); default: one call per sample" };
    private static Option<int> RunsOption() => new("--runs") { Description = "K: independent samples per problem (sample indexes 0..K-1; the score is avg@K)", DefaultValueFactory = _ => 1 };
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

    public static IEnumerable<Command> Create() => [EvalCommand(), RunCommand(), GradeCommand(), StatsCommand(), ExportCommand(), ImportCommand()];

    /// <summary><c>--run ID --model NAME --scaffold NAME|none --bench NAME --judge NAME --protocol NAME</c>: which (run, judge) pairs.</summary>
    private sealed record SelectionOptions(Option<string?> Run, Option<string?> Model, Option<string?> Scaffold, Option<string?> Bench,
        Option<string?>? Judge, Option<string?>? Protocol)
    {
        /// <param name="withProtocol">false where <c>--protocol</c> already says how to work (grade: the protocol to grade with).</param>
        public static SelectionOptions Create(bool withJudge, bool withProtocol = true) => new(
            new("--run") { Description = "only this run (its id; a unique prefix is enough)" },
            new("--model") { Description = "only runs of this model config name" },
            new("--scaffold") { Description = "only runs with this scaffold (none: without one)" },
            new("--bench") { Description = "only runs of this benchmark" },
            withJudge ? new("--judge") { Description = "only grades of this judge (config name, panel name or id prefix)" } : null,
            withProtocol ? new("--protocol") { Description = "only runs of this protocol (qed, qed-nano, …)" } : null);

        public void AddTo(Command c)
        {
            foreach (var o in new[] { Run, Model, Scaffold, Bench, Judge, Protocol }) if (o is not null) c.Options.Add(o);
        }

        public RunSelection Read(ParseResult p) => new(p.GetValue(Run), p.GetValue(Model), p.GetValue(Scaffold), p.GetValue(Bench),
            Judge is null ? null : p.GetValue(Judge), Protocol is null ? null : p.GetValue(Protocol));
    }

    /// <summary>A selection that is ambiguous or matches nothing is a usage error: exit 2 with the candidates named.</summary>
    private static async Task<int> SelectingAsync(string command, Func<Task<int>> action)
    {
        try { return await action(); }
        catch (AmbiguousSelectionException e)
        {
            Console.Error.WriteLine($"qed {command}: {e.Message}");
            return AmbiguousSelectionException.ExitCode;
        }
    }


    private static Command EvalCommand()
    {
        var bench = BenchOption(); var model = ModelOption(); var judge = JudgeOption(); var combine = CombineOption(); var scaffold = ScaffoldOption();
        var runs = RunsOption(); var limit = LimitOption(); var problems = ProblemsOption(); var db = DbOption();
        var output = new Option<string?>("--out") { Description = "also export this run's results to FILE.jsonl or FILE.parquet" };
        var maxCost = MaxCostOption(); var concurrency = ConcurrencyOption(); var columns = ColumnOptions.Create(); var lenient = LenientUtf8Option();
        var protocolOption = ProtocolOption.Create();
        var command = new Command("eval", "Solve, grade and score a benchmark (resumable: rerun the same command to continue)")
        {
            bench, model, judge, combine, scaffold, runs, limit, problems, db, output, maxCost, concurrency, lenient, protocolOption,
        };
        columns.AddTo(command);
        return command.WithAction(async (p, ct) =>
        {
            var protocol = await ProtocolOption.ResolveAsync(p.GetValue(protocolOption), ct);
            using var factory = Factory(p.GetValue(concurrency), protocol);
            var combineHow = CombineOf(p.GetValue(judge)!, p.GetValue(combine));
            var plan = await PlanAsync(factory, p.GetValue(bench)!, columns.Read(p), p.GetValue(model)!, p.GetValue(scaffold),
                p.GetValue(runs), p.GetValue(limit), p.GetValue(problems), p.GetValue(lenient), ct, protocol);
            var judgeClients = new List<ModelClient>(); // before any request: a missing key fails here
            foreach (var j in p.GetValue(judge)!) judgeClients.Add(await factory.OpenAsync(j, ct));
            await using var store = await RunStore.OpenAsync(p.GetValue(db)!, ct);
            await WarnOncePerStoreAsync(store, plan.Benchmark, ct);
            var outcome = await SolveAsync(store, plan, p.GetValue(concurrency), p.GetValue(maxCost), ct);
            GradingOutcome? graded = null;
            var pass = Pass(store, judgeClients, combineHow, protocol);
            if (outcome.StoppedByCostLimit) Console.Error.WriteLine("qed: not grading: the cost limit is reached (rerun with a higher --max-cost to continue)");
            else graded = await GradeAsync(pass, p.GetValue(concurrency), [plan.RunId], ct);
            if (graded is { AllFailed: true })
                Console.Error.WriteLine($"qed eval: every verdict failed ({graded.Failed} grade_failed): the judge answered without a readable verdict; "
                    + "check its config and prompt, or grade again with `qed grade --judge OTHER`");

            // Only the run this command made, with only its judges (members and panel): nothing else in the store.
            var judgeIds = JudgeIds(pass.Judges, plan.Benchmark.Mode, combineHow);
            var stats = (await StatsQuery.ComputeAsync(store, new RunSelection(Run: plan.RunId), ct))
                .Where(x => x.Judge is null || judgeIds.Contains(x.Judge.Id)).ToList();
            PrintTable(stats);
            if (p.GetValue(output) is { } path)
            {
                foreach (var (file, n) in await Export.WriteAsync(store, stats, path, false, ct))
                    Console.Error.WriteLine($"qed: exported {n} rows to {file}");
            }
            return ExitCodes.Finished(outcome.Failed + (graded?.Failed ?? 0));
        });
    }

    private static Command RunCommand()
    {
        var bench = BenchOption(); var model = ModelOption(); var scaffold = ScaffoldOption();
        var runs = RunsOption(); var limit = LimitOption(); var problems = ProblemsOption(); var db = DbOption();
        var maxCost = MaxCostOption(); var concurrency = ConcurrencyOption(); var columns = ColumnOptions.Create(); var lenient = LenientUtf8Option();
        var protocolOption = ProtocolOption.Create();
        var command = new Command("run", "Solve a benchmark without grading (resumable)")
        {
            bench, model, scaffold, runs, limit, problems, db, maxCost, concurrency, lenient, protocolOption,
        };
        columns.AddTo(command);
        return command.WithAction(async (p, ct) =>
        {
            var protocol = await ProtocolOption.ResolveAsync(p.GetValue(protocolOption), ct);
            using var factory = Factory(p.GetValue(concurrency), protocol);
            var plan = await PlanAsync(factory, p.GetValue(bench)!, columns.Read(p), p.GetValue(model)!, p.GetValue(scaffold),
                p.GetValue(runs), p.GetValue(limit), p.GetValue(problems), p.GetValue(lenient), ct, protocol);
            await using var store = await RunStore.OpenAsync(p.GetValue(db)!, ct);
            await WarnOncePerStoreAsync(store, plan.Benchmark, ct);
            var outcome = await SolveAsync(store, plan, p.GetValue(concurrency), p.GetValue(maxCost), ct);
            return ExitCodes.Finished(outcome.Failed);
        });
    }

    private static Command GradeCommand()
    {
        var db = DbOption(); var judge = JudgeOption(); var combine = CombineOption(); var concurrency = ConcurrencyOption();
        var protocolOption = ProtocolOption.Create();
        var selection = SelectionOptions.Create(withJudge: false, withProtocol: false);
        var command = new Command("grade", "Grade the finished samples of the selected runs (all runs by default) with a judge or a panel; "
            + "skips what this judge already graded, so rerunning with another judge grades what that judge has not") { db, judge, combine, concurrency, protocolOption };
        selection.AddTo(command);
        return command.WithAction((p, ct) => SelectingAsync("grade", async () =>
        {
            var protocol = await ProtocolOption.ResolveAsync(p.GetValue(protocolOption), ct);
            using var factory = Factory(p.GetValue(concurrency), protocol);
            var combineHow = CombineOf(p.GetValue(judge)!, p.GetValue(combine));
            var judgeClients = new List<ModelClient>();
            foreach (var j in p.GetValue(judge)!) judgeClients.Add(await factory.OpenAsync(j, ct));
            await using var store = await OpenExistingAsync(p.GetValue(db)!, ct);
            var chosen = selection.Read(p);
            var runIds = (await StatsQuery.PairsAsync(store, chosen, ct)).Select(x => x.Run.RunId).Distinct().ToList();
            if (runIds.Count == 0) throw StatsQuery.Ambiguity([], chosen, "");
            var outcome = await GradeAsync(Pass(store, judgeClients, combineHow, protocol), p.GetValue(concurrency), runIds, ct);
            if (outcome.AllFailed)
            {
                Console.Error.WriteLine($"qed grade: every verdict failed ({outcome.Failed} grade_failed): the judge answered without a readable verdict; "
                    + "check its config and prompt, or grade with another --judge");
                return ExitCodes.Incomplete;
            }
            return ExitCodes.Finished(outcome.Failed);
        }));
    }

    private static Command StatsCommand()
    {
        var db = DbOption();
        var json = new Option<bool>("--json") { Description = "print one JSON object (the selection must be one (run, judge); exit 2 otherwise)" };
        var all = new Option<bool>("--all") { Description = "with --json: a JSON array with one object per (run, judge)" };
        var likeOriginal = new Option<bool>("--like-original") { Description = "also print the original harness's summary columns (stats.py)" };
        var merge = new Option<string>("--merge") { Description = "how --like-original merges sample indexes: mean, max or min", DefaultValueFactory = _ => "mean" };
        merge.AcceptOnlyFromAmong("mean", "max", "min");
        var selection = SelectionOptions.Create(withJudge: true);
        var command = new Command("stats", "One row per (run, judge): avg@K ± std, problems × samples, graded / failed / grade_failed / pending, tokens, dollars")
        {
            db, json, all, likeOriginal, merge,
        };
        selection.AddTo(command);
        return command.WithAction((p, ct) => SelectingAsync("stats", async () =>
        {
            await using var store = await RunStore.OpenReadOnlyAsync(p.GetValue(db)!, ct);
            var chosen = selection.Read(p);
            var stats = await StatsQuery.ComputeAsync(store, chosen, ct);
            if (p.GetValue(json))
            {
                if (p.GetValue(all)) Console.WriteLine(new JsonArray(stats.Select(s => (JsonNode?)s.ToJson()).ToArray()).ToJsonString());
                else if (stats.Count == 1) Console.WriteLine(stats[0].ToJson().ToJsonString());
                else throw StatsQuery.Ambiguity(stats.Select(s => (s.Run, s.Judge)).ToList(), chosen, "print them all with --all");
                return 0;
            }
            if (stats.Count == 0 && !chosen.IsEmpty) throw StatsQuery.Ambiguity([], chosen, "");
            if (stats.Count == 0) { Console.Error.WriteLine("qed stats: the store has no runs yet"); return 0; }
            PrintTable(stats);
            if (p.GetValue(likeOriginal) || string.Equals(chosen.Protocol, "qed-nano", StringComparison.OrdinalIgnoreCase))
                PrintOriginal(stats, Enum.Parse<MergeMethod>(p.GetValue(merge)!, ignoreCase: true));
            return 0;
        }));
    }

    private static Command ExportCommand()
    {
        var db = DbOption();
        var output = new Option<string>("--out") { Description = "FILE.jsonl or FILE.parquet (written to a temporary file, renamed at the end)", Required = true };
        var split = new Option<bool>("--split-runs") { Description = "one file per sample index (FILE-0.jsonl, FILE-1.jsonl, …) of one (run, judge): the layout the original stats.py merges" };
        var selection = SelectionOptions.Create(withJudge: true);
        var command = new Command("export", "Export one row per sample and judge in the original harness's columns, naming run, model, scaffold and judge") { db, output, split };
        selection.AddTo(command);
        return command.WithAction((p, ct) => SelectingAsync("export", async () =>
        {
            await using var store = await RunStore.OpenReadOnlyAsync(p.GetValue(db)!, ct);
            var chosen = selection.Read(p);
            var stats = await StatsQuery.ComputeAsync(store, chosen, ct);
            if (stats.Count == 0) throw StatsQuery.Ambiguity([], chosen, "");
            if (p.GetValue(split) && stats.Count > 1) throw StatsQuery.Ambiguity(stats.Select(s => (s.Run, s.Judge)).ToList(), chosen, "export without --split-runs");
            foreach (var (file, n) in await Export.WriteAsync(store, stats, p.GetValue(output)!, p.GetValue(split), ct))
                Console.Error.WriteLine($"qed: exported {n} rows to {file}");
            return 0;
        }));
    }

    private static Command ImportCommand()
    {
        var paths = new Argument<string[]>("FILES") { Description = "result files (.jsonl, one per sample index, in order) or a folder of them", Arity = ArgumentArity.OneOrMore };
        var db = DbOption();
        var model = new Option<string?>("--model") { Description = "model name of the run when the files do not say (default: the file name)" };
        var bench = new Option<string?>("--bench") { Description = "benchmark id when the files do not say (e.g. imo-proofbench)" };
        var judge = new Option<string?>("--judge") { Description = $"judge name for the files' score column (default: the file's judge column, else {ResultImport.DefaultJudge})" };
        var scaffold = new Option<string?>("--scaffold") { Description = "scaffold name of the run when the files do not say" };
        var command = new Command("import", "Load result files of the original harness (or of `qed export`) into the store as a run") { paths, db, model, bench, judge, scaffold };
        return command.WithAction(async (p, ct) =>
        {
            var files = ResultImport.ExpandPaths(p.GetValue(paths)!);
            await using var store = await RunStore.OpenAsync(p.GetValue(db)!, ct);
            var outcome = await ResultImport.ImportAsync(store, files,
                new ImportOptions(p.GetValue(model), p.GetValue(bench), p.GetValue(judge), p.GetValue(scaffold)), ct);
            Console.Error.WriteLine($"qed import: {outcome.Samples} samples ({outcome.Graded} graded) from {outcome.Files} files into run "
                + string.Join(", ", outcome.RunIds.Select(RunSelection.ShortId)) + $" of {store.Path}");
            return 0;
        });
    }

    // ---- composition ---------------------------------------------------------------------------------

    private static ChatClientFactory Factory(int concurrency, Protocol? protocol = null) => new(new ChatClientFactoryOptions
    {
        GlobalConcurrency = Math.Max(1, concurrency) * 4,
        RequestLogPath = Environment.GetEnvironmentVariable("QED_REQUEST_LOG"),
        Warn = w => Console.Error.WriteLine("qed: warning: " + w),
        AdjustConfig = protocol is null ? null : protocol.AdjustModel,
    }, LocalModels());

    private static async Task<RunStore> OpenExistingAsync(string db, CancellationToken ct)
    {
        // Validate without writing (a missing or 0-byte file is an error, never a new store), then open for writing.
        await (await RunStore.OpenReadOnlyAsync(db, ct)).DisposeAsync();
        return await RunStore.OpenAsync(db, ct);
    }

    private static PanelCombine? CombineOf(string[] judges, string? combine)
    {
        if (judges.Length > 1 && combine is null) throw new QedException("--judge given several times: say how the panel combines them with --combine min|mean");
        if (judges.Length == 1 && combine is not null) throw new QedException("--combine needs at least two --judge");
        return combine is null ? null : PanelGrades.Parse(combine);
    }

    private sealed record GradingSetup(GradingPass Pass, IReadOnlyList<ProofGrader> Judges, PanelCombine? Combine, string Names);

    private static GradingSetup Pass(RunStore store, IReadOnlyList<ModelClient> judges, PanelCombine? combine, Protocol? protocol)
    {
        var prompts = new PromptLibrary(Environment.GetEnvironmentVariable("QED_PROMPTS_DIR"));
        var options = new GraderOptions { Protocol = protocol ?? Protocol.Ours };
        var graders = judges.Select(j => new ProofGrader(j, prompts, options, answerChecker: AnswerChecker())).ToList();
        var pass = new GradingPass(store, graders, combine);
        return new GradingSetup(pass, graders, combine, graders.Count == 1 ? graders[0].JudgeName : pass.PanelName);
    }

    private static HashSet<string> JudgeIds(IReadOnlyList<ProofGrader> judges, GradingMode mode, PanelCombine? combine)
    {
        var ids = judges.Select(j => j.JudgeId(mode)).ToHashSet();
        if (combine is { } c) ids.Add(PanelGrades.Id(c, judges.Select(j => j.JudgeId(mode))));
        return ids;
    }

    private static async Task<EvalPlan> PlanAsync(ChatClientFactory factory, string benchRef, ColumnMapping columns, string modelRef,
        string? scaffoldRef, int runs, int? limit, string? problemIds, bool lenientUtf8, CancellationToken ct, Protocol? protocol = null)
    {
        protocol ??= Protocol.Ours;
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

        var prompts = new PromptLibrary(Environment.GetEnvironmentVariable("QED_PROMPTS_DIR"));
        var (model, scaffold) = await ProtocolSetup.OpenModelAndScaffoldAsync(factory, protocol, modelRef, scaffoldRef, bench.Mode, prompts, http, ct);
        return new EvalPlan(bench, [], runs, scaffold.Solver, model, scaffold.RoleModels, scaffold.Budget, scaffold.Config,
            factory.GlobalLimit, scaffold.PromptsHash, protocol.Name) { Stream = new ProblemStream(opened.Count, opened.Open), Secrets = factory.Secrets };
    }

    /// <summary>What loading the benchmark repaired (AnswerBench's trimmed answers, its merged row, an unpinned hash) is
    /// said the first time a store sees the benchmark, not on every rerun of the same command.</summary>
    private static async Task WarnOncePerStoreAsync(RunStore store, Benchmark bench, CancellationToken ct)
    {
        if (bench.Warnings.Count == 0) return;
        if ((await store.ListRunsAsync(ct)).Any(r => r.Benchmark == bench.Name)) return;
        foreach (var w in bench.Warnings) Console.Error.WriteLine("qed: warning: " + w);
    }

    private static async Task<RunOutcome> SolveAsync(RunStore store, EvalPlan plan, int concurrency, double? maxCost, CancellationToken ct)
    {
        var runner = new EvalRunner(store);
        var total = plan.ProblemCount * plan.Runs;
        Console.Error.WriteLine($"qed: {plan.Benchmark.Name}: {plan.ProblemCount} problems × {plan.Runs} samples with {plan.Model.Config.Name} ({plan.Solver.Name}); store {store.Path}");
        RunOutcome outcome;
        if (Interactive())
        {
            outcome = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask("solving", maxValue: Math.Max(1, total));
                    var progress = new InlineProgress<RunProgress>(r =>
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
            var progress = new InlineProgress<RunProgress>(r =>
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

    private static async Task<GradingOutcome> GradeAsync(GradingSetup setup, int concurrency, IReadOnlyCollection<string> runIds, CancellationToken ct)
    {
        var display = new GradeProgressDisplay(Interactive());
        var outcome = await display.RunAsync(progress => setup.Pass.RunAsync(concurrency, progress, ct, runIds));
        Console.Error.WriteLine($"qed: graded {outcome.Graded} with {setup.Names} ({outcome.AlreadyGraded} already graded, {outcome.Failed} grade_failed, {outcome.NotGradable} not finished)");
        return outcome;
    }

    /// <summary>The rule-based first stage of answer grading (Qed.Answers); the LLM judge sees only what it leaves undecided.</summary>
    private static IAnswerChecker AnswerChecker() => new SymbolicAnswerChecker();

    private static bool Interactive() =>
        !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive && Environment.GetEnvironmentVariable("NO_COLOR") is null;

    private static void PrintTable(IReadOnlyList<EvalStats> rows) => StatsTable.Write(rows);

    private static void PrintOriginal(IReadOnlyList<EvalStats> rows, MergeMethod merge) => StatsTable.WriteOriginal(rows, merge);
}
