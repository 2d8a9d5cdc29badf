using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Parquet.Schema;
using Parquet.Serialization;

namespace Qed.Data;

/// <summary>
/// Writes rows to a JSONL, Parquet or CSV file (chosen by extension), atomically: nothing partial is left
/// behind on failure. Parquet columns are typed from the values (string, int64, double, bool); a column of
/// lists of flat string objects (chat <c>messages</c>) becomes a list of structs as the Hugging Face
/// datasets library writes it; any other nested value is stored as JSON text.
/// </summary>
public static class TableWriter
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Task WriteAsync(string path, IReadOnlyList<JsonObject> rows, CancellationToken cancellationToken = default) =>
        TableFormats.Of(path) switch
        {
            TableFormat.Jsonl => AtomicFile.WriteAsync(path, (s, ct) => WriteJsonlAsync(s, rows, ct), cancellationToken),
            TableFormat.Parquet => AtomicFile.WriteAsync(path, (s, ct) => WriteParquetAsync(s, rows, ct), cancellationToken),
            TableFormat.Csv => AtomicFile.WriteAsync(path, (s, ct) => WriteCsvAsync(s, rows, ct), cancellationToken),
            _ => throw new InvalidOperationException(),
        };

    /// <summary>One JSON object on one line, without the trailing newline.</summary>
    public static string ToJsonLine(JsonNode row) => row.ToJsonString(Json);

    private static async Task WriteJsonlAsync(Stream stream, IReadOnlyList<JsonObject> rows, CancellationToken ct)
    {
        await using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        foreach (var row in rows)
        {
            ct.ThrowIfCancellationRequested();
            await w.WriteAsync(ToJsonLine(row));
            await w.WriteAsync('\n');
        }
    }

    private static List<string> Columns(IReadOnlyList<JsonObject> rows)
    {
        var columns = new List<string>();
        var seen = new HashSet<string>();
        foreach (var row in rows)
            foreach (var (key, _) in row)
                if (seen.Add(key)) columns.Add(key);
        return columns;
    }

    private static async Task WriteCsvAsync(Stream stream, IReadOnlyList<JsonObject> rows, CancellationToken ct)
    {
        var columns = Columns(rows);
        await using var csv = CsvWriter.Create(stream, null, true);
        await csv.WriteRecordAsync(columns.ToArray(), ct);
        foreach (var row in rows)
        {
            ct.ThrowIfCancellationRequested();
            var values = columns.Select(c => row.TryGetPropertyValue(c, out var v) && v is not null ? DataRow.AsText(v) : "").ToArray();
            await csv.WriteRecordAsync(values, ct);
        }
        await csv.FlushAsync(ct);
    }

    private enum ColumnKind { String, Int64, Double, Bool, StructList, Json }

    private static async Task WriteParquetAsync(Stream stream, IReadOnlyList<JsonObject> rows, CancellationToken ct)
    {
        var columns = Columns(rows);
        var kinds = new Dictionary<string, ColumnKind>();
        var structFields = new Dictionary<string, List<string>>();
        var fields = new List<Field>();
        foreach (var c in columns)
        {
            var (kind, members) = KindOf(rows.Select(r => r.TryGetPropertyValue(c, out var v) ? v : null));
            kinds[c] = kind;
            fields.Add(kind switch
            {
                ColumnKind.Int64 => new DataField<long?>(c),
                ColumnKind.Double => new DataField<double?>(c),
                ColumnKind.Bool => new DataField<bool?>(c),
                ColumnKind.StructList => new ListField(c, new StructField("element", members!.Select(m => (Field)new DataField<string>(m)).ToArray())),
                _ => new DataField<string>(c),
            });
            if (members is not null) structFields[c] = members;
        }
        var schema = new ParquetSchema(fields);
        var data = new List<IDictionary<string, object?>>(rows.Count);
        foreach (var row in rows)
        {
            ct.ThrowIfCancellationRequested();
            var d = new Dictionary<string, object?>();
            foreach (var c in columns)
            {
                row.TryGetPropertyValue(c, out var v);
                d[c] = v is null ? null : kinds[c] switch
                {
                    ColumnKind.Int64 => long.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
                    ColumnKind.Double => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture),
                    ColumnKind.Bool => v.GetValue<bool>(),
                    ColumnKind.String => v.GetValue<string>(),
                    ColumnKind.StructList => v.AsArray().Select(e => (IDictionary<string, object>)structFields[c].ToDictionary(
                        m => m, m => (object)(e!.AsObject().TryGetPropertyValue(m, out var mv) && mv is not null ? mv.GetValue<string>() : null)!)).ToList(),
                    _ => v.ToJsonString(Json),
                };
            }
            data.Add(d);
        }
        await ParquetSerializer.SerializeUntypedAsync(data!, schema, stream, cancellationToken: ct);
    }

    private static (ColumnKind, List<string>?) KindOf(IEnumerable<JsonNode?> values)
    {
        ColumnKind? kind = null;
        List<string>? members = null;
        foreach (var v in values)
        {
            if (v is null) continue;
            var (k, m) = KindOf(v);
            if (kind is null) { kind = k; members = m; continue; }
            if (kind == k && k != ColumnKind.StructList) continue;
            if (kind == k && k == ColumnKind.StructList)
            {
                foreach (var name in m!) if (!members!.Contains(name)) members.Add(name);
                continue;
            }
            if ((kind, k) is (ColumnKind.Int64, ColumnKind.Double) or (ColumnKind.Double, ColumnKind.Int64)) { kind = ColumnKind.Double; continue; }
            return (ColumnKind.Json, null);
        }
        return (kind ?? ColumnKind.String, members);
    }

    private static (ColumnKind, List<string>?) KindOf(JsonNode v)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String: return (ColumnKind.String, null);
            case JsonValueKind.True or JsonValueKind.False: return (ColumnKind.Bool, null);
            case JsonValueKind.Number:
                return long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                    ? (ColumnKind.Int64, null) : (ColumnKind.Double, null);
            case JsonValueKind.Array:
                var members = new List<string>();
                foreach (var e in v.AsArray())
                {
                    if (e is not JsonObject o) return (ColumnKind.Json, null);
                    foreach (var (key, mv) in o)
                    {
                        if (mv is not null && mv.GetValueKind() != JsonValueKind.String) return (ColumnKind.Json, null);
                        if (!members.Contains(key)) members.Add(key);
                    }
                }
                return members.Count == 0 ? (ColumnKind.Json, null) : (ColumnKind.StructList, members);
            default: return (ColumnKind.Json, null);
        }
    }
}
