using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Data;
using Qed.Llm;

namespace Qed.Grading.Quality;

/// <summary>One proof with the points a human grader gave it (0–7).</summary>
/// <param name="ItemId">stable identity of the graded proof (from the file's id, else a hash of its content).</param>
/// <param name="Where">file:line of the row, for messages.</param>
public sealed record HumanGradedProof(string ItemId, Problem Problem, string Response, double HumanPoints, string Where);

/// <summary>The source layouts grader-bench reads.</summary>
public enum HumanGradedLayout { ImoGradingBench, ProofBench, MathArena }

/// <summary>A set of human-graded proofs, all graded in one mode.</summary>
public sealed record HumanGradedSet(string Name, HumanGradedLayout Layout, GradingMode Mode, IReadOnlyList<HumanGradedProof> Proofs)
{
    /// <summary>Identity of the set's content (not its path): the run store keys grader-bench runs by it.</summary>
    public string ContentHash() => Hashing.Sha256Hex(Layout.ToString(), string.Join("\n", Proofs.Select(p => p.ItemId + "\t" + Hashing.Sha256Hex(p.Response))));

    /// <summary>
    /// Reads a human-graded set, telling the layout from its fields:
    /// <list type="bullet">
    /// <item>IMO-GradingBench (CSV/JSONL/Parquet): <c>Grading ID, Problem ID, Problem, Solution, Grading guidelines,
    /// Response, Points, Reward</c>; graded in proof mode (0/1/6/7); <c>Points</c>, or the <c>Reward</c> class when
    /// Points is empty.</item>
    /// <item>ProofBench (CSV/JSONL/Parquet): <c>problem, model_solution, reference_solution, marking_scheme,
    /// expert_rating</c>; graded against the marking scheme (0–7).</item>
    /// <item>MathArena human-graded outputs: a <c>.json</c> file per problem (or a folder of them, or JSONL with one
    /// per line) with <c>idx</c>, <c>problem</c>, <c>messages</c> (one conversation per run) and <c>judgment</c> (per
    /// run: null, or the human judgment(s) with <c>points</c>); the response is the last assistant message.</item>
    /// </list>
    /// </summary>
    public static async Task<HumanGradedSet> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        var rows = await ReadRowsAsync(path, cancellationToken);
        if (rows.Count == 0) throw new QedException($"{path}: no rows");
        var first = rows[0];
        var name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path));
        if (first.Has("Grading ID") || (first.Fields.ContainsKey("Response") && first.Fields.ContainsKey("Grading guidelines")))
            return new(name, HumanGradedLayout.ImoGradingBench, GradingMode.Proof, rows.Select(ImoGradingBench).ToList());
        if (first.Fields.ContainsKey("expert_rating"))
            return new(name, HumanGradedLayout.ProofBench, GradingMode.MarkingScheme, rows.Select(ProofBench).ToList());
        if (first.Fields.ContainsKey("judgment") && first.Fields.ContainsKey("messages"))
            return new(name, HumanGradedLayout.MathArena, GradingMode.MarkingScheme, rows.SelectMany(MathArena).ToList());
        throw new QedException($"{first.Where}: unknown layout (fields {string.Join(", ", first.Fields.Select(f => f.Key))}); expected " +
            "IMO-GradingBench (Grading ID, Problem ID, Problem, Solution, Grading guidelines, Response, Points, Reward), " +
            "ProofBench (problem, model_solution, reference_solution, marking_scheme, expert_rating) or " +
            "MathArena outputs (idx, problem, messages, judgment)");
    }

    private static async Task<List<DataRow>> ReadRowsAsync(string path, CancellationToken ct)
    {
        if (Directory.Exists(path))
        {
            var rows = new List<DataRow>();
            foreach (var file in Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal))
                rows.AddRange(await ReadJsonFileAsync(file, ct));
            if (rows.Count == 0) throw new QedException($"{path}: a folder with no .json files");
            return rows;
        }
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path)) throw new QedException($"{path}: no such file");
            return await ReadJsonFileAsync(path, ct);
        }
        return await Qed.Data.TableReader.ReadAllAsync(path, ct);
    }

    /// <summary>A <c>.json</c> file: one object, or an array of objects (rows numbered from 1).</summary>
    private static async Task<List<DataRow>> ReadJsonFileAsync(string file, CancellationToken ct)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(await File.ReadAllTextAsync(file, ct));
        }
        catch (JsonException e)
        {
            throw new QedException($"{file}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({e.Message})");
        }
        return node switch
        {
            JsonObject o => [new DataRow(o, file, 1)],
            JsonArray a => a.Select((x, i) => x as JsonObject is { } o
                ? new DataRow(o, file, i + 1)
                : throw new QedException($"{file}:{i + 1}: expected a JSON object")).ToList(),
            _ => throw new QedException($"{file}:1: expected a JSON object or an array of objects"),
        };
    }

    private static HumanGradedProof ImoGradingBench(DataRow row)
    {
        var points = !string.IsNullOrWhiteSpace(row.Text("Points")) && row.Number("Points") is { } p
            ? CheckPoints(row, "Points", p)
            : row.Text("Reward") is { } reward
                ? Agreement.PointsOfClass(reward) ?? throw new QedException($"{row.Where}: field 'Reward': '{reward}' is not one of Incorrect, Partial, Almost, Correct")
                : throw new QedException($"{row.Where}: field 'Points' is missing (and no 'Reward' class)");
        if (points is not (0 or 1 or 6 or 7))
            throw new QedException($"{row.Where}: field 'Points': {points} is not an IMO-GradingBench score (0, 1, 6 or 7)");
        var problemId = Required(row, "Problem ID");
        var problem = new Problem(problemId, Required(row, "Problem"), ReferenceSolution: row.Text("Solution"),
            Guidelines: row.Text("Grading guidelines"), Benchmark: "IMO-GradingBench");
        return new HumanGradedProof(Required(row, "Grading ID"), problem, Required(row, "Response"), points, row.Where);
    }

    private static HumanGradedProof ProofBench(DataRow row)
    {
        var statement = Required(row, "problem");
        var response = Required(row, "model_solution");
        var rating = row.Number("expert_rating") ?? throw new QedException($"{row.Where}: field 'expert_rating' is missing or null");
        var problemId = row.FirstText("problem_id", "id") ?? "p-" + Hashing.Sha256Hex(statement)[..12];
        var problem = new Problem(problemId, statement, ReferenceSolution: row.Text("reference_solution"),
            MarkingScheme: Required(row, "marking_scheme"), Benchmark: "ProofBench");
        var itemId = Hashing.Sha256Hex("proofbench", statement, response)[..16];
        return new HumanGradedProof(itemId, problem, response, CheckPoints(row, "expert_rating", rating), row.Where);
    }

    private static IEnumerable<HumanGradedProof> MathArena(DataRow row)
    {
        var statement = Required(row, "problem");
        var idx = Required(row, "idx");
        var messages = row.Fields["messages"] as JsonArray ?? throw new QedException($"{row.Where}: field 'messages': expected a list (one conversation per run)");
        var judgments = row.Fields["judgment"] as JsonArray ?? throw new QedException($"{row.Where}: field 'judgment': expected a list (one entry per run)");
        if (judgments.Count != messages.Count)
            throw new QedException($"{row.Where}: field 'judgment': {judgments.Count} entries for {messages.Count} runs in 'messages'");
        var problem = new Problem(idx, statement, MarkingScheme: SchemeText(row), Benchmark: "MathArena");
        for (var run = 0; run < messages.Count; run++)
        {
            var points = JudgmentPoints(row, run, judgments[run]);
            if (points is null) continue; // this run was not graded by a human
            var response = LastAssistantMessage(row, run, messages[run]);
            var itemId = Hashing.Sha256Hex("matharena", statement, response)[..16];
            yield return new HumanGradedProof(itemId, problem, response, points.Value, $"{row.Where} (run {run})");
        }
    }

    /// <summary>Null when the run has no judgment; the mean when several judges graded it.</summary>
    private static double? JudgmentPoints(DataRow row, int run, JsonNode? judgment)
    {
        var field = $"judgment[{run}]";
        var entries = judgment switch
        {
            null => [],
            JsonArray a => a.Where(x => x is not null).ToList(),
            JsonObject o => [o],
            _ => throw new QedException($"{row.Where}: field '{field}': expected an object with 'points' or a list of them"),
        };
        if (entries.Count == 0) return null;
        var points = entries.Select(e => e is JsonObject o && o["points"] is JsonValue v && v.TryGetValue<double>(out var d)
            ? CheckPoints(row, field + ".points", d)
            : throw new QedException($"{row.Where}: field '{field}.points': missing or not a number")).ToList();
        return points.Average();
    }

    private static string LastAssistantMessage(DataRow row, int run, JsonNode? conversation)
    {
        if (conversation is JsonArray turns)
            for (var i = turns.Count - 1; i >= 0; i--)
                if (turns[i] is JsonObject m && m["role"]?.GetValue<string>() == "assistant" && m["content"] is { } c)
                    return c is JsonValue v && v.TryGetValue<string>(out var s) ? s : c.ToJsonString();
        throw new QedException($"{row.Where}: field 'messages[{run}]': no assistant message");
    }

    /// <summary>The problem's grading scheme when the row carries one (<c>grading_scheme</c>: text, or MathArena's
    /// list of <c>{points, title, desc}</c>).</summary>
    private static string? SchemeText(DataRow row)
    {
        if (!row.Fields.TryGetPropertyValue("grading_scheme", out var node) || node is null) return null;
        if (node is not JsonArray steps) return DataRow.AsText(node);
        var text = new StringBuilder();
        foreach (var step in steps.OfType<JsonObject>())
            text.Append(CultureInfo.InvariantCulture, $"- ({step["points"]?.ToJsonString() ?? "?"} points) {step["title"]?.GetValue<string>()}: {step["desc"]?.GetValue<string>()}\n");
        return text.ToString().TrimEnd();
    }

    /// <summary>A text field that must be present and not blank (CSV has no null: an empty cell counts as missing).</summary>
    private static string Required(DataRow row, string field) =>
        row.Text(field) is { } t && !string.IsNullOrWhiteSpace(t) ? t : throw new QedException($"{row.Where}: field '{field}' is missing or empty");

    private static double CheckPoints(DataRow row, string field, double points) =>
        points is >= 0 and <= ProofGrader.MaxPoints && !double.IsNaN(points)
            ? points
            : throw new QedException($"{row.Where}: field '{field}': {points.ToString(CultureInfo.InvariantCulture)} is outside 0–7");
}
