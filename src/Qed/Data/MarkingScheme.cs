using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>A step of a solution and the points it earns.</summary>
public sealed record Checkpoint(string Description, int Points);

/// <summary>A penalty applied to an otherwise credited proof (points is the amount taken off, positive).</summary>
public sealed record Deduction(string Description, int Points);

/// <summary>
/// A 0–7 marking scheme for one problem: checkpoints whose points sum to 7, items that earn nothing on their
/// own (restating the problem, checking small cases without a general argument), and deductions.
/// </summary>
public sealed record MarkingScheme(IReadOnlyList<Checkpoint> Checkpoints, IReadOnlyList<string> ZeroCredit, IReadOnlyList<Deduction> Deductions)
{
    public const int FullMarks = 7;

    public int Total => Checkpoints.Sum(c => c.Points);

    public JsonObject ToJson() => new()
    {
        ["checkpoints"] = new JsonArray(Checkpoints.Select(c => (JsonNode?)new JsonObject { ["description"] = c.Description, ["points"] = c.Points }).ToArray()),
        ["zero_credit"] = new JsonArray(ZeroCredit.Select(z => (JsonNode?)JsonValue.Create(z)).ToArray()),
        ["deductions"] = new JsonArray(Deductions.Select(d => (JsonNode?)new JsonObject { ["description"] = d.Description, ["points"] = d.Points }).ToArray()),
    };

    /// <summary>The scheme as the Markdown a judge reads (the grading-guidelines text of a rubric problem).</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("Checkpoints (").Append(Total).Append(" points in total):\n");
        foreach (var c in Checkpoints) sb.Append("- ").Append(c.Points).Append(c.Points == 1 ? " pt: " : " pts: ").Append(c.Description).Append('\n');
        if (ZeroCredit.Count > 0)
        {
            sb.Append("\nZero credit:\n");
            foreach (var z in ZeroCredit) sb.Append("- ").Append(z).Append('\n');
        }
        if (Deductions.Count > 0)
        {
            sb.Append("\nDeductions:\n");
            foreach (var d in Deductions) sb.Append("- -").Append(d.Points).Append(d.Points == 1 ? " pt: " : " pts: ").Append(d.Description).Append('\n');
        }
        return sb.ToString();
    }
}

public enum SchemeStatus { Ok, WrongTotal, Unparsable }

/// <summary>A parsed marking scheme; <see cref="SchemeStatus.WrongTotal"/> carries the scheme anyway, so it can be flagged.</summary>
public sealed record SchemeParse(SchemeStatus Status, MarkingScheme? Scheme, string? Error);

public static class MarkingSchemeParser
{
    public static SchemeParse Parse(string? reply)
    {
        var (obj, error) = ModelJson.ExtractObject(reply);
        if (obj is null) return new(SchemeStatus.Unparsable, null, error);
        if (obj["checkpoints"] is not JsonArray cps || cps.Count == 0)
            return new(SchemeStatus.Unparsable, null, "'checkpoints' is missing or empty");
        var checkpoints = new List<Checkpoint>();
        for (var i = 0; i < cps.Count; i++)
        {
            var item = ReadItem(cps[i], $"checkpoints[{i}]", out var itemError);
            if (item is null) return new(SchemeStatus.Unparsable, null, itemError);
            checkpoints.Add(new Checkpoint(item.Value.Description, item.Value.Points));
        }
        var zero = new List<string>();
        if (obj["zero_credit"] is JsonArray zs)
        {
            for (var i = 0; i < zs.Count; i++)
            {
                if (zs[i] is JsonValue v && v.GetValueKind() == JsonValueKind.String) zero.Add(v.GetValue<string>());
                else if (zs[i] is JsonObject zo && zo["description"] is JsonValue dv && dv.GetValueKind() == JsonValueKind.String) zero.Add(dv.GetValue<string>());
                else return new(SchemeStatus.Unparsable, null, $"zero_credit[{i}] is not text");
            }
        }
        else if (obj.ContainsKey("zero_credit") && obj["zero_credit"] is not null)
            return new(SchemeStatus.Unparsable, null, "'zero_credit' is not a list");
        var deductions = new List<Deduction>();
        if (obj["deductions"] is JsonArray ds)
        {
            for (var i = 0; i < ds.Count; i++)
            {
                var item = ReadItem(ds[i], $"deductions[{i}]", out var itemError);
                if (item is null) return new(SchemeStatus.Unparsable, null, itemError);
                deductions.Add(new Deduction(item.Value.Description, Math.Abs(item.Value.Points)));
            }
        }
        else if (obj.ContainsKey("deductions") && obj["deductions"] is not null)
            return new(SchemeStatus.Unparsable, null, "'deductions' is not a list");

        var scheme = new MarkingScheme(checkpoints, zero, deductions);
        if (checkpoints.Any(c => c.Points < 0))
            return new(SchemeStatus.Unparsable, null, "a checkpoint has negative points");
        return scheme.Total == MarkingScheme.FullMarks
            ? new(SchemeStatus.Ok, scheme, null)
            : new(SchemeStatus.WrongTotal, scheme, $"checkpoints sum to {scheme.Total}, not {MarkingScheme.FullMarks}");
    }

    private static (string Description, int Points)? ReadItem(JsonNode? node, string where, out string? error)
    {
        error = null;
        if (node is not JsonObject o) { error = $"{where} is not an object"; return null; }
        if (o["description"] is not JsonValue d || d.GetValueKind() != JsonValueKind.String || string.IsNullOrWhiteSpace(d.GetValue<string>()))
        { error = $"{where}.description is missing"; return null; }
        if (o["points"] is not JsonValue p || p.GetValueKind() != JsonValueKind.Number ||
            !double.TryParse(p.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var pts) || pts != Math.Floor(pts))
        { error = $"{where}.points is not a whole number"; return null; }
        return (d.GetValue<string>(), (int)pts);
    }
}
