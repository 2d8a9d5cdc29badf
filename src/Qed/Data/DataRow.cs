using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>
/// One row of a data file, whatever its format: the fields as JSON values, and where it came from so
/// every error can name the file, line and field.
/// </summary>
/// <param name="Line">1-based line of the row in a JSONL or CSV file; the 1-based row number in a Parquet file.</param>
public sealed record DataRow(JsonObject Fields, string File, long Line)
{
    public string Where => $"{File}:{Line}";

    public bool Has(string field) => Fields.TryGetPropertyValue(field, out var v) && v is not null;

    /// <summary>The field as text (strings as is, numbers and booleans in invariant form), or null when absent or null.</summary>
    public string? Text(string field) =>
        Fields.TryGetPropertyValue(field, out var v) && v is not null ? AsText(v) : null;

    /// <summary>The first of <paramref name="fields"/> that the row has, as text, or null.</summary>
    public string? FirstText(params string[] fields)
    {
        foreach (var f in fields)
            if (Text(f) is { } t) return t;
        return null;
    }

    public string RequireText(string field) =>
        Text(field) ?? throw new QedException($"{Where}: field '{field}' is missing or null");

    /// <summary>The field as a number; JSON numbers and numeric strings are accepted.</summary>
    public double? Number(string field)
    {
        if (!Fields.TryGetPropertyValue(field, out var v) || v is null) return null;
        if (v is JsonValue jv)
        {
            if (jv.TryGetValue<double>(out var d)) return d;
            if (jv.TryGetValue<long>(out var l)) return l;
            if (jv.TryGetValue<string>(out var s) &&
                double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p)) return p;
            if (jv.GetValueKind() == JsonValueKind.Number &&
                double.TryParse(jv.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var q)) return q;
        }
        throw new QedException($"{Where}: field '{field}' is not a number: {Shorten(v.ToJsonString())}");
    }

    public static string AsText(JsonNode node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>A JSON integer, however the node was made (parsed or built in code).</summary>
    public static long AsLong(JsonNode? node) =>
        node is not null && long.TryParse(node.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new FormatException($"not an integer: {node?.ToJsonString() ?? "null"}");

    internal static string Shorten(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
