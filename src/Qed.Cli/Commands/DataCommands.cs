using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Qed.Data;
using Qed.Inference.Hub;
using Qed.Llm;
using Qed.Cli.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: data generate|grade|filter|rubrics|build-sft|decontaminate|dedup (issue 8).</summary>
internal static class DataCommands
{
    public static IEnumerable<Command> Create()
    {
        var data = new Command("data", "Build training data: teacher generation, grading, filtering, rubrics, SFT assembly, decontamination, dedup.");
        data.Subcommands.Add(Generate());
        data.Subcommands.Add(Grade());
        data.Subcommands.Add(Filter());
        data.Subcommands.Add(Rubrics());
        data.Subcommands.Add(Decontaminate());
        data.Subcommands.Add(Dedup());
        data.Subcommands.Add(BuildSft());
        return [data];
    }

    private static Command Generate()
    {
        var input = new Option<string>("--in") { Description = "problems (JSONL, Parquet or CSV)", Required = true };
        var model = new Option<string>("--model") { Description = "model config (YAML path or shipped name, e.g. vllm/qed-nano)", Required = true };
        var output = new Option<string>("--out") { Description = "one JSON line per request (success or error)", Required = true };
        var perPrompt = new Option<int>("--requests-per-prompt") { Description = "independent requests per problem", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int>("--concurrency") { Description = "requests in flight at once", DefaultValueFactory = _ => 256 };
        var thinking = new Option<bool>("--enable-thinking") { Description = "send chat_template_kwargs.enable_thinking=true" };
        var limit = new Option<int?>("--limit") { Description = "at most this many problems" };
        var offset = new Option<int>("--offset") { Description = "first problem (0-based row)", DefaultValueFactory = _ => 0 };
        var field = new Option<string?>("--field") { Description = "field holding the problem (default: problem, question, prompt or text)" };
        var prompt = new Option<string>("--prompt") { Description = "user turn: 'raw' (the problem as is, default), 'proof' (our proof-writing instruction) or a template file with {{problem}}", DefaultValueFactory = _ => "raw" };
        var retryErrors = new Option<bool>("--retry-errors") { Description = "ask again for requests recorded as errors (default: every present line is kept)" };
        var command = new Command("generate", "Ask a (teacher) model for completions of every problem at high concurrency; resumable.")
        {
            input, model, output, perPrompt, concurrency, thinking, limit, offset, field, prompt, retryErrors,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var n = parse.GetValue(concurrency);
            using var factory = NewFactory(n);
            var client = await OpenModelAsync(factory, parse.GetValue(model)!, n, ct);
            var watch = Stopwatch.StartNew();
            var s = await GenerateStage.RunAsync(await InputAsync(parse.GetValue(input)!, ct), client.Chat, parse.GetValue(output)!, new GenerateOptions
            {
                RequestsPerPrompt = parse.GetValue(perPrompt),
                Concurrency = n,
                EnableThinking = parse.GetValue(thinking),
                Limit = parse.GetValue(limit),
                Offset = parse.GetValue(offset),
                Field = parse.GetValue(field),
                Prompt = PromptFor(parse.GetValue(prompt)!),
                RetryErrors = parse.GetValue(retryErrors),
            }, new ProgressBar(), ct);
            PrintSummary("generate", s, client, watch);
            return ExitCodes.Finished(s.Failed);
        });
    }

    private static Command Grade()
    {
        var input = new Option<string>("--in") { Description = "generations (from qed data generate) with the problem's reference solution, guidelines or marking scheme", Required = true };
        var judge = new Option<string>("--judge") { Description = "judge model config (YAML path or shipped name)", Required = true };
        var output = new Option<string>("--out") { Description = "the rows with points, verdict and grade_status added", Required = true };
        var concurrency = new Option<int>("--concurrency") { Description = "judge requests in flight at once", DefaultValueFactory = _ => 64 };
        var mode = new Option<string?>("--mode") { Description = "proof | marking-scheme | answer (default: per row, from the fields it has)" };
        var replyField = new Option<string>("--reply-field") { Description = "field holding the text to grade", DefaultValueFactory = _ => "completion" };
        var retryFailed = new Option<bool>("--retry-failed") { Description = "grade again rows recorded as grade_failed" };
        var command = new Command("grade", "Grade teacher proofs with the project's grader (points and verdict); resumable.")
        {
            input, judge, output, concurrency, mode, replyField, retryFailed,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var n = parse.GetValue(concurrency);
            using var factory = NewFactory(n);
            var client = await OpenModelAsync(factory, parse.GetValue(judge)!, n, ct);
            var watch = Stopwatch.StartNew();
            var s = await GradeStage.RunAsync(await InputAsync(parse.GetValue(input)!, ct), new Qed.Grading.ProofGrader(client), parse.GetValue(output)!, new GradeOptions
            {
                Concurrency = n,
                Mode = parse.GetValue(mode) switch
                {
                    null => null,
                    "proof" => Qed.Benchmarks.GradingMode.Proof,
                    "marking-scheme" => Qed.Benchmarks.GradingMode.MarkingScheme,
                    "answer" => Qed.Benchmarks.GradingMode.Answer,
                    var other => throw new QedException($"--mode: '{other}' is not one of proof, marking-scheme, answer"),
                },
                ReplyField = parse.GetValue(replyField)!,
                RetryFailed = parse.GetValue(retryFailed),
            }, new ProgressBar(), ct);
            PrintSummary("grade", s, client, watch);
            return ExitCodes.Finished(s.Failed);
        });
    }

    private static Command Filter() => ModelRowCommand("filter", "Classify problem/solution pairs (incomplete, difficulty 1-10, gaps, wrong, disagreement, computational); resumable.",
        "filter", (input, chat, prompt, output, options, progress, ct) => FilterStage.RunAsync(input, chat, prompt, output, options, progress, ct));

    private static Command Rubrics() => ModelRowCommand("rubrics", "Write a 0-7 marking scheme per problem from its reference solution; resumable.",
        "rubric", (input, chat, prompt, output, options, progress, ct) => RubricStage.RunAsync(input, chat, prompt, output, options, progress, ct));

    private delegate Task<StageSummary> ModelRowStage(string input, Microsoft.Extensions.AI.IChatClient chat, PromptTemplate prompt, string output,
        ModelStageOptions options, IProgress<StageProgress> progress, CancellationToken ct);

    private static Command ModelRowCommand(string name, string description, string promptName, ModelRowStage run)
    {
        var input = new Option<string>("--in") { Description = "rows with a problem and a solution (JSONL, Parquet or CSV)", Required = true };
        var model = new Option<string>("--model") { Description = "model config (YAML path or shipped name)", Required = true };
        var output = new Option<string>("--out") { Description = "the input rows with the stage's fields added", Required = true };
        var concurrency = new Option<int>("--concurrency") { Description = "requests in flight at once", DefaultValueFactory = _ => 64 };
        var attempts = new Option<int>("--max-attempts") { Description = "requests per row when the reply is unusable", DefaultValueFactory = _ => 3 };
        var problemField = new Option<string?>("--field") { Description = "field holding the problem (default: problem, question, prompt or text)" };
        var solutionField = new Option<string?>("--solution-field") { Description = "field holding the solution (default: solution, reference_solution, proof or completion)" };
        var promptFile = new Option<string?>("--prompt") { Description = $"template file replacing our {promptName}.md prompt" };
        var retryErrors = new Option<bool>("--retry-errors") { Description = "redo rows recorded with an endpoint error" };
        var command = new Command(name, description) { input, model, output, concurrency, attempts, problemField, solutionField, promptFile, retryErrors };
        return command.WithAction(async (parse, ct) =>
        {
            var n = parse.GetValue(concurrency);
            using var factory = NewFactory(n);
            var client = await OpenModelAsync(factory, parse.GetValue(model)!, n, ct);
            var prompt = parse.GetValue(promptFile) is { } file ? TemplateFile(file) : new PromptLibrary().Get("Data", promptName);
            var watch = Stopwatch.StartNew();
            var s = await run(await InputAsync(parse.GetValue(input)!, ct), client.Chat, prompt, parse.GetValue(output)!, new ModelStageOptions
            {
                Concurrency = n,
                MaxAttempts = parse.GetValue(attempts),
                ProblemField = parse.GetValue(problemField),
                SolutionField = parse.GetValue(solutionField),
                RetryErrors = parse.GetValue(retryErrors),
            }, new ProgressBar(), ct);
            PrintSummary(name, s, client, watch);
            return ExitCodes.Finished(s.Failed);
        });
    }

    /// <summary>
    /// A local path as is, or <c>hf://datasets/OWNER/NAME[@REVISION]/GLOB</c>: the matching files of a Hugging Face
    /// dataset, pulled into the Hugging Face cache the way <c>qed pull</c> does (reused when already there; with
    /// HF_HUB_OFFLINE=1 only the cache is used).
    /// </summary>
    private static async Task<IReadOnlyList<string>> InputsAsync(IEnumerable<string> specs, CancellationToken ct)
    {
        var paths = new List<string>();
        foreach (var spec in specs)
        {
            if (!spec.StartsWith("hf://", StringComparison.Ordinal)) { paths.Add(spec); continue; }
            var rest = spec["hf://".Length..];
            var type = HubRepoType.Dataset;
            if (rest.StartsWith("datasets/", StringComparison.Ordinal)) rest = rest["datasets/".Length..];
            else if (rest.StartsWith("models/", StringComparison.Ordinal)) { rest = rest["models/".Length..]; type = HubRepoType.Model; }
            var parts = rest.Split('/', 3);
            if (parts.Length < 3 || parts[2].Length == 0)
                throw new QedException($"--in {spec}: expected hf://datasets/OWNER/NAME[@REVISION]/FILE_OR_GLOB");
            var name = parts[1];
            var revision = "main";
            if (name.IndexOf('@') is var at and >= 0) { revision = name[(at + 1)..]; name = name[..at]; }
            var repo = HubRepo.Parse($"{parts[0]}/{name}") with { Type = type };
            var glob = parts[2];
            var options = HubOptions.FromEnvironment();
            var matcher = HubDownloader.GlobToRegex(glob);
            string folder;
            IEnumerable<string> files;
            if (options.Offline)
            {
                folder = new HubCache(options.CacheDirectory).FindSnapshot(repo, revision)
                    ?? throw new QedException($"--in {spec}: HF_HUB_OFFLINE is set and the cache ({options.CacheDirectory}) has no snapshot of {repo.Id}@{revision}");
                files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                    .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Where(f => matcher.IsMatch(f));
            }
            else
            {
                using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = Timeout.InfiniteTimeSpan };
                var pulled = await new HubDownloader(http, options).PullAsync(repo, revision, [glob], null, ct);
                Console.Error.WriteLine($"hub: {repo.Id}@{pulled.Commit[..Math.Min(12, pulled.Commit.Length)]}: {pulled.Files.Count} files ({pulled.Downloaded} downloaded, {pulled.Reused} cached)");
                folder = pulled.SnapshotFolder;
                files = pulled.Files.Select(f => f.Path);
            }
            var matched = files.Order(StringComparer.Ordinal).Select(f => Path.Combine(folder, f)).ToList();
            if (matched.Count == 0) throw new QedException($"--in {spec}: no file of {repo.Id}@{revision} matches '{glob}'");
            paths.AddRange(matched);
        }
        return paths;
    }

    private static async Task<string> InputAsync(string spec, CancellationToken ct)
    {
        var paths = await InputsAsync([spec], ct);
        return paths.Count == 1 ? paths[0]
            : throw new QedException($"--in {spec}: matches {paths.Count} files ({string.Join(", ", paths.Select(Path.GetFileName))}); name one file");
    }

    private static ChatClientFactory NewFactory(int concurrency) => new(new ChatClientFactoryOptions
    {
        GlobalConcurrency = Math.Max(1024, concurrency),
        Warn = w => Console.Error.WriteLine("warning: " + w),
    });

    /// <summary>Opens the model, raising its per-endpoint limit so that --concurrency requests can be in flight.</summary>
    private static async Task<ModelClient> OpenModelAsync(ChatClientFactory factory, string reference, int concurrency, CancellationToken ct)
    {
        if (concurrency < 1) throw new QedException($"--concurrency must be at least 1, got {concurrency}");
        if (ChatClientFactory.IsLocal(reference)) return await factory.OpenAsync(reference, ct);
        var config = factory.LoadConfig(reference);
        var perEndpoint = (int)Math.Ceiling((double)concurrency / Math.Max(1, config.BaseUrls.Count));
        return factory.Create(config with { ConcurrentRequests = Math.Max(config.ConcurrentRequests, perEndpoint) });
    }

    private static PromptTemplate? PromptFor(string prompt) => prompt switch
    {
        "raw" => null,
        "proof" => new PromptLibrary().Get("Data", "generate"),
        _ => TemplateFile(prompt),
    };

    private static PromptTemplate TemplateFile(string path) =>
        File.Exists(path) ? PromptTemplate.FromFile(path)
            : throw new QedException($"--prompt: {path} does not exist");

    private static void PrintSummary(string stage, StageSummary s, ModelClient client, Stopwatch watch) =>
        Console.WriteLine($"{stage}: {s.Total} items; {s.Resumed} already done, {s.Done} done now, {s.Failed} failed (recorded) -> {s.Output}; " +
            $"{client.Usage.Requests} requests, {client.Usage.InputTokens} in / {client.Usage.OutputTokens} out tokens, ${client.Usage.CostUsd:F4} ({watch.Elapsed.TotalSeconds:F1}s)");

    private static Command Decontaminate()
    {
        var input = new Option<string>("--in") { Description = "items to check (JSONL, Parquet or CSV)", Required = true };
        var against = new Option<string>("--against") { Description = "comma-separated benchmarks (imo-proofbench, imo-answerbench, proofbench) and/or files with a problem column", Required = true };
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
            using var http = new HttpClient();
            var benchmarks = await BenchmarkTexts.LoadAsync(parse.GetValue(against)!, BenchmarkTexts.DefaultDataDir(), ct, http);
            var summary = await DecontaminateStage.RunAsync(await InputAsync(parse.GetValue(input)!, ct), benchmarks, parse.GetValue(output)!, parse.GetValue(report)!,
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
            var summary = await DedupStage.RunAsync(await InputAsync(parse.GetValue(input)!, ct), parse.GetValue(output)!,
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
            var s = await SftAssembly.RunAsync(await InputsAsync(parse.GetValue(input)!, ct), parse.GetValue(minPoints), parse.GetValue(output)!, progress: new ProgressBar(), cancellationToken: ct);
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
