using System.Text.Json.Nodes;
using Parquet.Serialization;
using Qed.Runs;

namespace Qed.Stats;

/// <summary>
/// Writes one row per sample in the original harness's columns (<c>problem, model_solution, history,
/// cost_run{cost,input_tokens,output_tokens,time}, grade[{points,desc}], schema_0[{title,desc,points}],
/// grade_cost, score</c>) plus <c>problem_id, run_index, status</c>. <c>score</c> is points / 7 (0–1), null
/// when not graded. JSONL or Parquet by the file's extension.
/// </summary>
public static class Export
{
    public sealed class CostRun
    {
        public double cost { get; set; }
        public long input_tokens { get; set; }
        public long output_tokens { get; set; }
        public double time { get; set; }
    }

    public sealed class GradeItem
    {
        public double? points { get; set; }
        public string? desc { get; set; }
    }

    public sealed class SchemaItem
    {
        public string? title { get; set; }
        public string? desc { get; set; }
        public int points { get; set; }
    }

    public sealed class HistoryItem
    {
        public string? step { get; set; }
        public string? role { get; set; }
        public string? messages { get; set; }
        public string? answer { get; set; }
        public string? reasoning { get; set; }
    }

    public sealed class Row
    {
        public string problem_id { get; set; } = "";
        public int run_index { get; set; }
        public string status { get; set; } = "";
        public string problem { get; set; } = "";
        public string? model_solution { get; set; }
        public List<HistoryItem> history { get; set; } = [];
        public CostRun cost_run { get; set; } = new();
        public List<GradeItem> grade { get; set; } = [];
        public List<SchemaItem> schema_0 { get; set; } = [];
        public double grade_cost { get; set; }
        public double? score { get; set; }
    }

    public static async Task<IReadOnlyList<Row>> RowsAsync(RunStore store, CancellationToken ct)
    {
        var grades = (await store.ListGradesAsync(null, ct)).ToDictionary(g => g.SampleId);
        var rows = new List<Row>();
        foreach (var s in await store.ListSamplesAsync(null, ct))
        {
            var g = grades.GetValueOrDefault(s.SampleId);
            var steps = await store.ListStepsAsync(s.SampleId, ct);
            var scheme = s.Problem.MarkingScheme ?? s.Problem.Guidelines;
            rows.Add(new Row
            {
                problem_id = s.ProblemId,
                run_index = s.RunIndex,
                status = s.Status.ToText(),
                problem = s.Problem.Statement,
                model_solution = s.Answer,
                history = steps.Select(st => new HistoryItem { step = st.Name, role = st.Role, messages = st.MessagesJson, answer = st.Answer, reasoning = st.Reasoning }).ToList(),
                cost_run = new CostRun { cost = s.Usage.CostUsd, input_tokens = s.Usage.InputTokens, output_tokens = s.Usage.OutputTokens, time = s.Seconds },
                grade = g is { Status: GradeStatus.Graded } ? [new GradeItem { points = g.Points, desc = g.Desc }] : [],
                schema_0 = scheme is null ? [] : [new SchemaItem { title = s.Problem.MarkingScheme is null ? "Grading guidelines" : "Marking scheme", desc = scheme, points = 7 }],
                grade_cost = g?.Usage.CostUsd ?? 0,
                score = g is { Status: GradeStatus.Graded, Points: { } p } ? p / g.MaxPoints : null,
            });
        }
        return rows;
    }

    public static async Task<int> WriteAsync(RunStore store, string path, CancellationToken ct)
    {
        var rows = await RowsAsync(store, ct);
        var ext = Path.GetExtension(path).ToLowerInvariant();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        switch (ext)
        {
            case ".jsonl":
                await using (var w = new StreamWriter(path))
                    foreach (var r in rows) await w.WriteLineAsync(ToJson(r).ToJsonString());
                break;
            case ".parquet":
                await ParquetSerializer.SerializeAsync(rows, path, cancellationToken: ct);
                break;
            default:
                throw new QedException($"{path}: export format '{ext}' not supported (use .jsonl or .parquet)");
        }
        return rows.Count;
    }

    public static JsonObject ToJson(Row r) => new()
    {
        ["problem_id"] = r.problem_id,
        ["run_index"] = r.run_index,
        ["status"] = r.status,
        ["problem"] = r.problem,
        ["model_solution"] = r.model_solution,
        ["history"] = new JsonArray(r.history.Select(h => (JsonNode?)new JsonObject
        {
            ["step"] = h.step, ["role"] = h.role, ["messages"] = JsonNode.Parse(h.messages ?? "[]"),
            ["answer"] = h.answer, ["reasoning"] = h.reasoning,
        }).ToArray()),
        ["cost_run"] = new JsonObject
        {
            ["cost"] = r.cost_run.cost, ["input_tokens"] = r.cost_run.input_tokens,
            ["output_tokens"] = r.cost_run.output_tokens, ["time"] = r.cost_run.time,
        },
        ["grade"] = new JsonArray(r.grade.Select(g => (JsonNode?)new JsonObject { ["points"] = g.points, ["desc"] = g.desc }).ToArray()),
        ["schema_0"] = new JsonArray(r.schema_0.Select(s => (JsonNode?)new JsonObject { ["title"] = s.title, ["desc"] = s.desc, ["points"] = s.points }).ToArray()),
        ["grade_cost"] = r.grade_cost,
        ["score"] = r.score,
    };
}
