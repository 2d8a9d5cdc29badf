using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace Qed.Benchmarks;

/// <summary>One row of a data file with the line (CSV, JSONL) or row number (Parquet) it started on.</summary>
public sealed record TableRow(int Line, IReadOnlyDictionary<string, string?> Fields);

/// <summary>Reads CSV (RFC 4180, multi-line fields), JSONL and Parquet files into rows of text fields.</summary>
public static class TableReader
{
    public static async Task<IReadOnlyList<TableRow>> ReadAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: file not found");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csv" => ReadCsv(path),
            ".jsonl" or ".ndjson" => await ReadJsonLinesAsync(path, cancellationToken),
            ".json" => ReadJsonArray(path),
            ".parquet" => await ReadParquetAsync(path, cancellationToken),
            _ => throw new QedException($"{path}: unknown data format '{ext}' (use .csv, .jsonl or .parquet)"),
        };
    }

    public static IReadOnlyList<TableRow> ReadCsv(string path)
    {
        var rows = new List<TableRow>();
        string[]? header = null;
        foreach (var (line, record) in CsvRecords.Parse(path, File.ReadAllText(path)))
        {
            if (header is null)
            {
                header = record.Select(h => h.Trim().TrimStart('\uFEFF')).ToArray();
                continue;
            }
            if (record.Count == 1 && string.IsNullOrWhiteSpace(record[0])) continue;
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++) fields[header[i]] = i < record.Count ? record[i] : null;
            if (record.Count > header.Length) fields["__extra"] = string.Join(",", record.Skip(header.Length));
            rows.Add(new TableRow(line, fields));
        }
        return rows;
    }

    private static async Task<IReadOnlyList<TableRow>> ReadJsonLinesAsync(string path, CancellationToken ct)
    {
        var rows = new List<TableRow>();
        var lineNo = 0;
        foreach (var line in await File.ReadAllLinesAsync(path, ct))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new QedException($"{path}:{lineNo}: not valid JSON: {e.Message}"); }
            if (node is not JsonObject o) throw new QedException($"{path}:{lineNo}: expected a JSON object per line");
            rows.Add(new TableRow(lineNo, FieldsOf(o)));
        }
        return rows;
    }

    private static IReadOnlyList<TableRow> ReadJsonArray(string path)
    {
        JsonNode? node;
        try { node = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new QedException($"{path}:{e.LineNumber + 1}: not valid JSON: {e.Message}"); }
        if (node is not JsonArray a) throw new QedException($"{path}:1: expected a JSON array of objects");
        return a.Select((n, i) => n is JsonObject o ? new TableRow(i + 1, FieldsOf(o))
            : throw new QedException($"{path}: element {i + 1}: expected an object")).ToList();
    }

    private static Dictionary<string, string?> FieldsOf(JsonObject o) =>
        o.ToDictionary(p => p.Key, p => p.Value switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            var other => other.ToJsonString(),
        }, StringComparer.Ordinal);

    private static async Task<IReadOnlyList<TableRow>> ReadParquetAsync(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        var result = await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: ct);
        var rows = new List<TableRow>();
        var i = 0;
        foreach (var record in result.Data)
        {
            i++;
            rows.Add(new TableRow(i, record.ToDictionary(p => p.Key, p => Text(p.Value), StringComparer.Ordinal)));
        }
        return rows;
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IEnumerable e => JsonSerializer.Serialize(e),
        _ => value.ToString(),
    };
}
