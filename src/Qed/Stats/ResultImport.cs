using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;

namespace Qed.Stats;

/// <summary>What to call an imported run when its files do not say.</summary>
/// <param name="Judge">judge name for the files' <c>score</c> column (the original files do not record their judge).</param>
public sealed record ImportOptions(string? Model = null, string? Bench = null, string? Judge = null, string? Scaffold = null);

public sealed record ImportOutcome(IReadOnlyList<string> RunIds, int Samples, int Graded, int Files);

/// <summary>
/// Loads result files into the store as runs: files written by the original harness (<c>scripts/run.py</c> then
/// <c>scripts/eval.py</c>: the input row plus <c>model_solution, history, cost_run, grade, schema_0, grade_cost, score</c>),
/// one file per sample index, and files <c>qed export</c> wrote (which also say <c>run_id, run_index, model, scaffold,
/// judge, protocol, status</c>, so an export → import round trip keeps every attribution). A file whose problem ids
/// repeat (the original's <c>--n K</c> writes K copies into one file) holds one sample index per repetition.
/// Imported runs have protocol <c>qed-nano</c> unless the file says otherwise; their grades are stored under the judge
/// the file names, else <see cref="ImportOptions.Judge"/>, else <c>original-judge</c>.
/// </summary>
public static partial class ResultImport
{
    public const string DefaultJudge = "original-judge";
    private static readonly string[] IdColumns = ["problem_id", "question_id", "problem_idx", "id", "Problem ID"];

    private sealed record Row(string File, int Line, JsonObject Data);

    /// <summary>The files a list of paths names: files as given, folders as their <c>*.jsonl</c>, ordered by the trailing
    /// sample index in their names (<c>x-0, x-1, …, x-10</c>) when they all have one, else by name.</summary>
    public static IReadOnlyList<string> ExpandPaths(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var raw in paths)
        {
            var p = Path.GetFullPath(raw);
            if (Directory.Exists(p))
            {
                var found = Directory.GetFiles(p, "*.jsonl").ToList();
                if (found.Count == 0) throw new QedException($"{raw}: no .jsonl result files in this folder");
                files.AddRange(OrderByIndex(found));
            }
            else if (File.Exists(p))
            {
                if (!p.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) throw new QedException($"{raw}: result files are JSON lines (.jsonl)");
                files.Add(p);
            }
            else throw new QedException($"{raw}: no such file or folder");
        }
        // Files named one by one keep the order given (as the original's stats script does): file i is sample index i.
        return files.Distinct().ToList();
    }

    [GeneratedRegex(@"[-_](\d+)$")]
    private static partial Regex TrailingIndex();

    private static List<string> OrderByIndex(List<string> files)
    {
        var indexed = files.Select(f => (File: f, M: TrailingIndex().Match(Path.GetFileNameWithoutExtension(f)))).ToList();
        return indexed.All(x => x.M.Success)
            ? indexed.OrderBy(x => Path.GetFileNameWithoutExtension(x.File)[..x.M.Index], StringComparer.Ordinal)
                .ThenBy(x => int.Parse(x.M.Groups[1].Value, CultureInfo.InvariantCulture)).Select(x => x.File).ToList()
            : files.OrderBy(f => f, StringComparer.Ordinal).ToList();
    }

    public static async Task<ImportOutcome> ImportAsync(RunStore store, IReadOnlyList<string> files, ImportOptions options, CancellationToken ct)
    {
        var rows = new List<(Row Row, int FileIndex)>();
        for (var i = 0; i < files.Count; i++)
        {
            var line = 0;
            foreach (var text in await File.ReadAllLinesAsync(files[i], ct))
            {
                line++;
                if (string.IsNullOrWhiteSpace(text)) continue;
                JsonNode? node;
                try { node = JsonNode.Parse(text); }
                catch (JsonException e) { throw new QedException($"{files[i]}:{line}: not a JSON object: {e.Message}"); }
                if (node is not JsonObject o) throw new QedException($"{files[i]}:{line}: not a JSON object");
                rows.Add((new Row(files[i], line, o), i));
            }
        }
        if (rows.Count == 0) throw new QedException($"{string.Join(", ", files)}: no rows to import");

        // Sample index: the file's own run_index when it has one, else the file's position plus the repetition within it.
        var indexed = new List<(Row Row, int Index, string ProblemId)>();
        var offset = 0;
        foreach (var file in rows.GroupBy(r => r.FileIndex).OrderBy(g => g.Key))
        {
            var seen = new Dictionary<string, int>();
            var n = 0;
            foreach (var (row, _) in file)
            {
                n++;
                var id = ProblemId(row) ?? $"{Path.GetFileNameWithoutExtension(row.File)}-{n:000}";
                var rep = seen.GetValueOrDefault(id);
                seen[id] = rep + 1;
                var index = row.Data["run_index"] is JsonValue v && v.TryGetValue<int>(out var k) ? k : offset + rep;
                indexed.Add((row, index, id));
            }
            offset += seen.Count == 0 ? 0 : seen.Values.Max();
        }

        var outcomeRuns = new List<string>();
        int samples = 0, graded = 0;
        // A file written by `qed export` may hold several (run, judge) pairs: each run is imported as itself.
        foreach (var run in indexed.GroupBy(x => Text(x.Row.Data, "run_id") ?? ""))
        {
            var (s, g, id) = await ImportRunAsync(store, run.ToList(), files, options, ct);
            samples += s; graded += g;
            outcomeRuns.Add(id);
        }
        return new ImportOutcome(outcomeRuns, samples, graded, files.Count);
    }

    private static async Task<(int Samples, int Graded, string RunId)> ImportRunAsync(RunStore store, List<(Row Row, int Index, string ProblemId)> rows,
        IReadOnlyList<string> files, ImportOptions options, CancellationToken ct)
    {
        var first = rows[0].Row;
        var model = options.Model ?? Text(first.Data, "model") ?? StemWithoutIndex(first.File);
        var scaffold = options.Scaffold ?? Text(first.Data, "scaffold");
        var protocol = Text(first.Data, "protocol") ?? "qed-nano";
        var problems = new Dictionary<string, Problem>();
        foreach (var (row, _, id) in rows)
            if (!problems.ContainsKey(id)) problems[id] = ToProblem(row, id);
        var bench = options.Bench ?? Text(first.Data, "bench") ?? GuessBench(problems.Keys)
            ?? throw new QedException($"{first.File}: the files do not say which benchmark they are; pass --bench ID (e.g. imo-proofbench)");
        var mode = BenchmarkLoader.Registry.FirstOrDefault(r => r.Id == bench)?.Mode ?? Benchmark.InferMode(problems.Values.ToList());
        var contentHash = Hashing.Sha256Hex(["import", model, bench, .. rows.Select(r => r.Row.Data.ToJsonString())]);
        var runId = Text(first.Data, "run_id") is { Length: > 0 } given ? given : contentHash;

        await store.EnsureRunAsync(new RunInfo(runId, bench, mode.ToString(), model,
            new JsonObject { ["name"] = model, ["imported_from"] = new JsonArray(files.Select(f => (JsonNode?)Path.GetFileName(f)).ToArray()) }.ToJsonString(),
            scaffold, null, "imported", DateTimeOffset.UtcNow, protocol), ct);

        var writes = new List<Task>();
        int graded = 0;
        var seen = new HashSet<string>();
        foreach (var (row, index, id) in rows)
        {
            var d = row.Data;
            var problem = problems[id];
            var sampleId = EvalPlan.SampleId(runId, problem, index);
            var judge = options.Judge ?? Text(d, "judge") ?? DefaultJudge;
            if (!seen.Add(sampleId + "\n" + judge)) throw new QedException($"{row.File}:{row.Line}: problem {id}, sample index {index} appears twice");
            var answer = d["model_solution"] is JsonValue a && a.TryGetValue<string>(out var text) ? text : null;
            var status = Text(d, "status") is { } st ? ParseStatus(st, row)
                : answer is null ? SampleStatus.Failed : answer.Length == 0 ? SampleStatus.Truncated : SampleStatus.Ok;
            var cost = Cost(d["cost_run"]);
            await store.AddSampleAsync(sampleId, runId, problem, index, ct);
            await store.CompleteSampleAsync(sampleId, status, answer, null, status == SampleStatus.Failed ? "imported without a model solution" : null,
                new UsageTotals(cost.Input, cost.Output, cost.Cost, 1), cost.Time, ct);
            if (d["history"] is JsonArray history && history.Count > 0)
                writes.Add(store.SaveStepAsync(new StepRecord(sampleId, "imported-history", "history", "solver", model, history.ToJsonString(),
                    answer ?? "", null, status == SampleStatus.Truncated, null, cost.Input, cost.Output, cost.Cost, cost.Time, null, DateTimeOffset.UtcNow), ct));
            if (Number(d["score"]) is { } score && status.IsFinished())
            {
                var points = mode == GradingMode.Answer ? score * 7 : score;
                var gc = Cost(d["grade_cost"]);
                var desc = d["grade"] is JsonArray { Count: > 0 } g && g[0] is JsonObject g0 ? Text(g0, "desc") : null;
                writes.Add(store.SaveGradeAsync(new GradeRecord(sampleId, ImportedJudgeId(judge), judge, GradeStatus.Graded, points, 7, desc, null,
                    "imported", null, new UsageTotals(gc.Input, gc.Output, gc.Cost, gc.Input + gc.Output > 0 ? 1 : 0), null, DateTimeOffset.UtcNow,
                    AnswerHashing.Of(answer), gc.Time), ct));
                graded++;
            }
            else if (status.IsFinished() && Cost(d["grade_cost"]) is { } failedCost && failedCost.Input + failedCost.Output > 0)
            {
                // Graded but no score: the judge's verdict could not be read. Kept as grade_failed with what it cost.
                writes.Add(store.SaveGradeAsync(new GradeRecord(sampleId, ImportedJudgeId(judge), judge, GradeStatus.Failed, null, 7, null, null,
                    "imported", null, new UsageTotals(failedCost.Input, failedCost.Output, failedCost.Cost, 1), "no score in the imported file",
                    DateTimeOffset.UtcNow, AnswerHashing.Of(answer), failedCost.Time), ct));
            }
        }
        await Task.WhenAll(writes);
        return (rows.Select(r => r.Index + "\n" + r.ProblemId).Distinct().Count(), graded, runId);
    }

    /// <summary>Imported grades keep their judge's name; the id says they were imported, so a real judge of the same name
    /// grading the run again is a different judge.</summary>
    public static string ImportedJudgeId(string judge) => Hashing.Sha256Hex("imported-judge", judge);

    private static Problem ToProblem(Row row, string id)
    {
        var d = row.Data;
        var statement = Text(d, "problem") ?? throw new QedException($"{row.File}:{row.Line}: field 'problem': missing (the problem statement)");
        var input = new JsonObject();
        foreach (var (k, v) in d)
            if (!IsResultColumn(k)) input[k] = v?.DeepClone();
        return new Problem(id, statement, Text(d, "solution"), Text(d, "grading_guidelines"),
            Text(d, "marking_scheme") ?? Text(d, "rubric"), Text(d, "answer"), Text(d, "level"), Text(d, "category"), Text(d, "source"),
            null, input.ToJsonString());
    }

    private static bool IsResultColumn(string k) => k is "model_solution" or "history" or "cost_run" or "grade" or "schema_0" or "grade_cost"
        or "score" or "run_index" or "status" or "run_id" or "bench" or "model" or "scaffold" or "judge" or "protocol";

    private static string? ProblemId(Row row)
    {
        foreach (var c in IdColumns)
            if (row.Data[c] is JsonValue v)
                return v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
        return null;
    }

    private static string? GuessBench(IEnumerable<string> ids)
    {
        var list = ids.ToList();
        if (list.All(i => i.StartsWith("PB-", StringComparison.Ordinal))) return "imo-proofbench";
        if (list.All(i => i.StartsWith("imo-bench-", StringComparison.Ordinal))) return "imo-answerbench";
        return null;
    }

    private static SampleStatus ParseStatus(string s, Row row)
    {
        try { return SampleStatusText.Parse(s); }
        catch (FormatException) { throw new QedException($"{row.File}:{row.Line}: field 'status': '{s}' is not a sample status"); }
    }

    private static string StemWithoutIndex(string file)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        var m = TrailingIndex().Match(stem);
        return m.Success ? stem[..m.Index] : stem;
    }

    private static string? Text(JsonObject o, string key) =>
        o[key] is JsonValue v ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()) : null;

    private static double? Number(JsonNode? n) =>
        n is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    private static (long Input, long Output, double Cost, double Time) Cost(JsonNode? n) => n is JsonObject o
        ? ((long)(Number(o["input_tokens"]) ?? 0), (long)(Number(o["output_tokens"]) ?? 0), Number(o["cost"]) ?? 0, Number(o["time"]) ?? 0)
        : (0, 0, 0, 0);
}
