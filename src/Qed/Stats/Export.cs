using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Schema;
using Parquet.Serialization;
using Qed.Benchmarks;
using Qed.Data;
using Qed.Runs;

namespace Qed.Stats;

/// <summary>
/// Writes one row per sample and judge in the original harness's result columns, so its <c>eval/scripts/stats.py</c>
/// reads our exports: every column of the benchmark's input row, then <c>model_solution, history, cost_run{cost,
/// input_tokens, output_tokens, time}, grade[{points, desc}], schema_0[{title, desc, points}], grade_cost{cost,
/// input_tokens, output_tokens, time}, score</c> (points 0–7 on proof benchmarks, 0/1 on answer benchmarks; null only
/// when this judge has no valid grade) plus <c>problem_id, run_index</c> (the sample index), <c>status, run_id, bench, model,
/// scaffold, judge, protocol</c>. JSONL or Parquet by the file's extension; written to a temporary file renamed at the end.
/// </summary>
public static class Export
{
    /// <summary>The columns we write ourselves; an input column of the same name gives way to ours.</summary>
    private static readonly HashSet<string> OwnColumns =
    [
        "problem_id", "run_index", "status", "run_id", "bench", "model", "scaffold", "judge", "protocol", "problem", "model_solution",
        "history", "cost_run", "grade", "schema_0", "grade_cost", "score",
    ];

    /// <summary>The rows of the given (run, judge) statistics, in the order: pair, sample index, problem.</summary>
    public static async Task<IReadOnlyList<JsonObject>> RowsAsync(RunStore store, IReadOnlyList<EvalStats> pairs, CancellationToken ct)
    {
        var rows = new List<JsonObject>();
        foreach (var stats in pairs)
        {
            var mode = OriginalUnits.ModeOf(stats.Run.GradingMode);
            foreach (var x in stats.Scored)
                rows.Add(Row(stats, x, mode, await store.ListStepsAsync(x.Sample.SampleId, ct)));
        }
        return rows;
    }

    private static JsonObject Row(EvalStats stats, ScoredSample x, GradingMode mode, IReadOnlyList<StepRecord> steps)
    {
        var s = x.Sample;
        var p = s.Problem;
        var row = new JsonObject();
        foreach (var (name, value) in InputColumns(p)) if (!OwnColumns.Contains(name)) row[name] = value;
        row["problem_id"] = s.ProblemId;
        row["run_index"] = s.RunIndex;
        row["status"] = s.Status.ToText();
        row["run_id"] = stats.Run.RunId;
        row["bench"] = stats.Run.Benchmark;
        row["model"] = stats.Run.ModelName;
        row["scaffold"] = stats.Run.ScaffoldName;
        row["judge"] = stats.Judge?.Name;
        row["protocol"] = stats.Run.Protocol;
        row["problem"] = p.Statement;
        row["model_solution"] = s.Answer;
        row["history"] = new JsonArray(steps.Select(st => (JsonNode?)new JsonObject
        {
            ["step"] = st.Name, ["role"] = st.Role, ["messages"] = ParseOr(st.MessagesJson), ["answer"] = st.Answer, ["reasoning"] = st.Reasoning,
        }).ToArray());
        row["cost_run"] = Cost(s.Usage.CostUsd, s.Usage.InputTokens, s.Usage.OutputTokens, s.Seconds);
        var g = x.Grade;
        var score = OriginalUnits.Score(x.Points, x.MaxPoints, mode);
        row["grade"] = x.Points is null ? new JsonArray()
            : new JsonArray(new JsonObject { ["points"] = score, ["desc"] = g!.Desc ?? g.JudgeReply });
        row["schema_0"] = Schema(p, mode);
        // Always an object (zeros when ungraded): the original's stats script reads grade_cost["input_tokens"] on every row.
        // A grade of an answer that has changed since is not this row's grade, so its cost is not either.
        var current = g is not null && (g.AnswerHash is null || g.AnswerHash == AnswerHashing.Of(s.Answer)) ? g : null;
        row["grade_cost"] = Cost(current?.Usage.CostUsd ?? 0, current?.Usage.InputTokens ?? 0, current?.Usage.OutputTokens ?? 0, current?.Seconds ?? 0);
        row["score"] = score;
        return row;
    }

    private static JsonObject Cost(double cost, long input, long output, double time) =>
        new() { ["cost"] = cost, ["input_tokens"] = input, ["output_tokens"] = output, ["time"] = time };

    private static JsonArray Schema(Problem p, GradingMode mode) => mode == GradingMode.Answer
        ? new JsonArray(new JsonObject { ["title"] = "Answer Correctness", ["desc"] = "Whether the answer is correct.", ["points"] = 1 })
        : (p.MarkingScheme ?? p.Guidelines) is { } scheme
            ? new JsonArray(new JsonObject { ["title"] = p.MarkingScheme is null ? "Grading guidelines" : "Marking scheme", ["desc"] = scheme, ["points"] = 7 })
            : new JsonArray();

    private static JsonNode? ParseOr(string json)
    {
        try { return JsonNode.Parse(json); } catch (JsonException) { return json; }
    }

    /// <summary>The benchmark's input row: the columns it was loaded from when the store kept them, else the problem's
    /// fields under the original datasets' names.</summary>
    public static IEnumerable<(string Name, JsonNode? Value)> InputColumns(Problem p)
    {
        if (p.InputRow is { } raw && JsonNode.Parse(raw) is JsonObject o)
        {
            foreach (var (k, v) in o) yield return (k, v?.DeepClone());
            yield break;
        }
        if (p.ReferenceSolution is not null) yield return ("solution", p.ReferenceSolution);
        if (p.Guidelines is not null) yield return ("grading_guidelines", p.Guidelines);
        if (p.MarkingScheme is not null) yield return ("marking_scheme", p.MarkingScheme);
        if (p.ShortAnswer is not null) yield return ("answer", p.ShortAnswer);
        if (p.Level is not null) yield return ("level", p.Level);
        if (p.Category is not null) yield return ("category", p.Category);
        if (p.Source is not null) yield return ("source", p.Source);
    }

    /// <summary>Writes all rows to one file, or with <paramref name="splitBySampleIndex"/> one file per sample index
    /// (<c>FILE-0.jsonl</c>, <c>FILE-1.jsonl</c>, …, rows in one problem order): the layout the original stats script merges.
    /// Returns the files written and their row counts.</summary>
    public static async Task<IReadOnlyList<(string Path, int Rows)>> WriteAsync(RunStore store, IReadOnlyList<EvalStats> pairs, string path,
        bool splitBySampleIndex, CancellationToken ct)
    {
        var format = FormatOf(path);
        var rows = await RowsAsync(store, pairs, ct);
        if (!splitBySampleIndex)
        {
            await WriteFileAsync(path, format, rows, ct);
            return [(path, rows.Count)];
        }
        if (pairs.Count != 1)
            throw new AmbiguousSelectionException($"--split-runs writes the sample indexes of one (run, judge); the selection matches {pairs.Count}", []);
        var written = new List<(string, int)>();
        var stem = Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path));
        foreach (var group in rows.GroupBy(r => r["run_index"]!.GetValue<int>()).OrderBy(g => g.Key))
        {
            var file = $"{stem}-{group.Key.ToString(CultureInfo.InvariantCulture)}{Path.GetExtension(path)}";
            var list = group.OrderBy(r => r["problem_id"]!.GetValue<string>(), StringComparer.Ordinal).ToList();
            await WriteFileAsync(file, format, list, ct);
            written.Add((file, list.Count));
        }
        return written;
    }

    private static string FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" => ".jsonl",
        ".parquet" => ".parquet",
        var ext => throw new QedException($"{path}: export format '{ext}' not supported (use .jsonl or .parquet)"),
    };

    private static Task WriteFileAsync(string path, string format, IReadOnlyList<JsonObject> rows, CancellationToken ct) =>
        AtomicFile.WriteAsync(path, (stream, token) => format == ".jsonl" ? WriteJsonlAsync(stream, rows, token) : WriteParquetAsync(stream, rows, token), ct);

    private static async Task WriteJsonlAsync(Stream stream, IReadOnlyList<JsonObject> rows, CancellationToken ct)
    {
        await using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        foreach (var r in rows)
        {
            ct.ThrowIfCancellationRequested();
            await w.WriteAsync(r.ToJsonString());
            await w.WriteAsync('\n');
        }
    }

    // ---- Parquet: the same columns, nested ones as structs and lists of structs (as the datasets library writes them) --

    private static readonly string[] CostMembers = ["cost", "input_tokens", "output_tokens", "time"];

    private static async Task WriteParquetAsync(Stream stream, IReadOnlyList<JsonObject> rows, CancellationToken ct)
    {
        var inputColumns = rows.SelectMany(r => r.Select(p => p.Key)).Where(k => !OwnColumns.Contains(k)).Distinct().ToList();
        var fields = new List<Field>();
        fields.AddRange(inputColumns.Select(c => (Field)new DataField<string>(c)));
        fields.AddRange([
            new DataField<string>("problem_id"), new DataField<long?>("run_index"), new DataField<string>("status"), new DataField<string>("run_id"), new DataField<string>("bench"),
            new DataField<string>("model"), new DataField<string>("scaffold"), new DataField<string>("judge"), new DataField<string>("protocol"),
            new DataField<string>("problem"), new DataField<string>("model_solution"),
            new ListField("history", new StructField("element", new DataField<string>("step"), new DataField<string>("role"),
                new DataField<string>("messages"), new DataField<string>("answer"), new DataField<string>("reasoning"))),
            CostField("cost_run"),
            new ListField("grade", new StructField("element", new DataField<double?>("points"), new DataField<string>("desc"))),
            new ListField("schema_0", new StructField("element", new DataField<string>("title"), new DataField<string>("desc"), new DataField<long?>("points"))),
            CostField("grade_cost"),
            new DataField<double?>("score"),
        ]);
        var data = new List<IDictionary<string, object?>>(rows.Count);
        foreach (var r in rows)
        {
            ct.ThrowIfCancellationRequested();
            var d = new Dictionary<string, object?>();
            foreach (var c in inputColumns) d[c] = r[c] is { } v ? (v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString()) : null;
            foreach (var c in new[] { "problem_id", "status", "run_id", "bench", "model", "scaffold", "judge", "protocol", "problem", "model_solution" })
                d[c] = r[c]?.GetValue<string>();
            d["run_index"] = (long)r["run_index"]!.GetValue<int>();
            d["history"] = r["history"]!.AsArray().Select(h => (IDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["step"] = Text(h!["step"]), ["role"] = Text(h["role"]), ["messages"] = h["messages"]?.ToJsonString(),
                ["answer"] = Text(h["answer"]), ["reasoning"] = Text(h["reasoning"]),
            }).ToList();
            d["cost_run"] = CostValue(r["cost_run"]!);
            d["grade"] = r["grade"]!.AsArray().Select(g => (IDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["points"] = g!["points"]?.GetValue<double>(), ["desc"] = Text(g["desc"]),
            }).ToList();
            d["schema_0"] = r["schema_0"]!.AsArray().Select(s => (IDictionary<string, object?>)new Dictionary<string, object?>
            {
                ["title"] = Text(s!["title"]), ["desc"] = Text(s["desc"]), ["points"] = (long?)s["points"]?.GetValue<int>(),
            }).ToList();
            d["grade_cost"] = CostValue(r["grade_cost"]!);
            d["score"] = r["score"]?.GetValue<double>();
            data.Add(d);
        }
        await ParquetSerializer.SerializeUntypedAsync(data!, new ParquetSchema(fields), stream, cancellationToken: ct);
    }

    private static StructField CostField(string name) =>
        new(name, new DataField<double?>("cost"), new DataField<long?>("input_tokens"), new DataField<long?>("output_tokens"), new DataField<double?>("time"));

    private static IDictionary<string, object?> CostValue(JsonNode cost) => new Dictionary<string, object?>
    {
        ["cost"] = cost["cost"]?.GetValue<double>(), ["input_tokens"] = cost["input_tokens"]?.GetValue<long>(),
        ["output_tokens"] = cost["output_tokens"]?.GetValue<long>(), ["time"] = cost["time"]?.GetValue<double>(),
    };

    private static string? Text(JsonNode? n) => n is null ? null : n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : n.ToJsonString();
}
