using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Parquet.Serialization;

namespace Qed.Benchmarks;

/// <summary>One row of a data file with the line (CSV, JSONL) or row number (Parquet) it started on.</summary>
public sealed record TableRow(int Line, IReadOnlyDictionary<string, string?> Fields);

/// <summary>
/// Reads CSV (RFC 4180, multi-line fields), JSONL and Parquet files into rows of text fields. CSV and JSONL are
/// streamed a row at a time, checked as UTF-8 and held to <see cref="InputLimits"/>, so a huge file costs only
/// the rows in use and a huge row is an error naming its line and field.
/// </summary>
public static class TableReader
{
    public static async Task<IReadOnlyList<TableRow>> ReadAsync(string path, CancellationToken cancellationToken) =>
        await ReadAsync(path, InputOptions.Strict, cancellationToken);

    public static async Task<IReadOnlyList<TableRow>> ReadAsync(string path, InputOptions options, CancellationToken cancellationToken)
    {
        var rows = new List<TableRow>();
        await foreach (var row in StreamAsync(path, options, cancellationToken)) rows.Add(row);
        return rows;
    }

    public static async IAsyncEnumerable<TableRow> StreamAsync(string path, InputOptions options,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: file not found");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        var rows = ext switch
        {
            ".csv" => ToAsync(StreamCsv(path, options)),
            ".jsonl" or ".ndjson" => ToAsync(StreamJsonLines(path, options)),
            ".json" => ToAsync(ReadJsonArray(path, options)),
            ".parquet" => ReadParquetAsync(path, cancellationToken),
            _ => throw new QedException($"{path}: unknown data format '{ext}' (use .csv, .jsonl or .parquet)"),
        };
        await foreach (var row in rows.WithCancellation(cancellationToken)) yield return row;
    }

    private static async IAsyncEnumerable<TableRow> ToAsync(IEnumerable<TableRow> rows)
    {
        foreach (var row in rows) yield return row;
        await Task.CompletedTask;
    }

    public static IReadOnlyList<TableRow> ReadCsv(string path) => StreamCsv(path, InputOptions.Strict).ToList();

    public static IEnumerable<TableRow> StreamCsv(string path, InputOptions options)
    {
        using var reader = CheckedTextReader.Open(path, options);
        string[]? header = null;
        foreach (var (line, record) in CsvRecords.Parse(path, reader, options.Limits.MaxFieldChars, i => header is not null && i < header.Length ? header[i] : null))
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
            yield return new TableRow(line, fields);
        }
    }

    private static IEnumerable<TableRow> StreamJsonLines(string path, InputOptions options)
    {
        using var reader = CheckedTextReader.Open(path, options);
        var lineNo = 0;
        while (reader.ReadLine(options.Limits.MaxRowChars, out var tooLong) is { } line)
        {
            lineNo++;
            if (tooLong) throw RowTooLong(path, lineNo, line, options.Limits);
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(line); }
            catch (JsonException e) { throw new QedException($"{path}:{lineNo}: not valid JSON: {e.Message}"); }
            if (node is not JsonObject o) throw new QedException($"{path}:{lineNo}: expected a JSON object per line");
            var fields = FieldsOf(o);
            CheckFields(path, lineNo, fields, options.Limits);
            yield return new TableRow(lineNo, fields);
        }
    }

    /// <summary>The error for a JSONL row over the row limit, naming the field that was being read where it was cut.</summary>
    public static QedException RowTooLong(string path, long line, string prefix, InputLimits limits)
    {
        var field = JsonPrefix.OpenField(prefix);
        return new QedException($"{path}:{line}: {(field is null ? "row" : $"field '{field}'")}: the row is longer than the " +
            $"{InputLimits.Describe(limits.MaxRowChars)} row limit (one field may hold up to {InputLimits.Describe(limits.MaxFieldChars)})");
    }

    private static void CheckFields(string path, long line, IReadOnlyDictionary<string, string?> fields, InputLimits limits)
    {
        foreach (var (name, value) in fields)
            if (value is { Length: var n } && n > limits.MaxFieldChars)
                throw new QedException($"{path}:{line}: field '{name}' is longer than the {InputLimits.Describe(limits.MaxFieldChars)} field limit");
    }

    private static IReadOnlyList<TableRow> ReadJsonArray(string path, InputOptions options)
    {
        JsonNode? node;
        string text;
        using (var reader = CheckedTextReader.Open(path, options)) text = reader.ReadToEnd();
        try { node = JsonNode.Parse(text); }
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

    private static async IAsyncEnumerable<TableRow> ReadParquetAsync(string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        var result = await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: ct);
        var i = 0;
        foreach (var record in result.Data)
        {
            i++;
            yield return new TableRow(i, record.ToDictionary(p => p.Key, p => Text(p.Value), StringComparer.Ordinal));
        }
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
