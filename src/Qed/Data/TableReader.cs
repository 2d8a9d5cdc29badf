using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using Qed.Benchmarks;
using Parquet.Serialization;

namespace Qed.Data;

/// <summary>
/// Reads the rows of a JSONL, Parquet or CSV file as <see cref="DataRow"/>s, failing with the file, line
/// and reason on anything malformed: invalid UTF-8 and rows over <see cref="InputLimits"/> included.
/// </summary>
public static class TableReader
{
    public static IAsyncEnumerable<DataRow> ReadAsync(string path, CancellationToken cancellationToken = default) =>
        ReadAsync(path, InputOptions.Strict, cancellationToken);

    public static IAsyncEnumerable<DataRow> ReadAsync(string path, InputOptions options, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new QedException($"{path}: no such file");
        return TableFormats.Of(path) switch
        {
            TableFormat.Jsonl => ReadJsonlAsync(path, options, cancellationToken),
            TableFormat.Parquet => ReadParquetAsync(path, cancellationToken),
            TableFormat.Csv => ReadCsvAsync(path, options, cancellationToken),
            _ => throw new InvalidOperationException(),
        };
    }

    public static async Task<List<DataRow>> ReadAllAsync(string path, CancellationToken cancellationToken = default)
    {
        var rows = new List<DataRow>();
        await foreach (var row in ReadAsync(path, cancellationToken)) rows.Add(row);
        return rows;
    }

    /// <summary>Reads several files one after another, in the order given.</summary>
    public static async Task<List<DataRow>> ReadAllAsync(IEnumerable<string> paths, CancellationToken cancellationToken = default)
    {
        var rows = new List<DataRow>();
        foreach (var path in paths) rows.AddRange(await ReadAllAsync(path, cancellationToken));
        return rows;
    }

    private static async IAsyncEnumerable<DataRow> ReadJsonlAsync(string path, InputOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = CheckedTextReader.Open(path, options);
        long line = 0;
        while (reader.ReadLine(options.Limits.MaxRowChars, out var tooLong) is { } text)
        {
            ct.ThrowIfCancellationRequested();
            line++;
            if (tooLong) throw Benchmarks.TableReader.RowTooLong(path, line, text, options.Limits);
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = ParseJsonObject(text, path, line);
            foreach (var (name, value) in fields)
                if (value is JsonValue v && v.TryGetValue<string>(out var str) && str.Length > options.Limits.MaxFieldChars)
                    throw new QedException($"{path}:{line}: field '{name}' is longer than the {InputLimits.Describe(options.Limits.MaxFieldChars)} field limit");
            yield return new DataRow(fields, path, line);
        }
        await Task.CompletedTask;
    }

    internal static JsonObject ParseJsonObject(string text, string path, long line)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new QedException($"{path}:{line}: not valid JSON ({e.Message})");
        }
        return node as JsonObject ?? throw new QedException($"{path}:{line}: expected a JSON object, found {node?.GetValueKind().ToString() ?? "null"}");
    }

    private static async IAsyncEnumerable<DataRow> ReadCsvAsync(string path, InputOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        // The CSV parser decodes bytes itself (substituting invalid UTF-8 silently): one streaming pass checks the
        // encoding and the length of every physical line first, naming the line.
        CheckText(path, options, ct);
        var csvOptions = new CsvReaderOptions
        {
            TrackLineNumbers = true,
            // Recover as Python's csv module does ("ab"c reads abc): real benchmark files have such rows.
            MalformedData = CsvMalformedDataHandling.Recover,
        };
        await using var csv = CsvReader.FromFile(path, csvOptions);
        string[] header;
        try
        {
            await csv.ReadHeaderAsync(ct);
            header = csv.Headers.ToArray();
        }
        catch (CsvFormatException e)
        {
            throw new QedException($"{path}:1: cannot read the CSV header ({FirstLine(e.Message)})");
        }
        var seen = new HashSet<string>();
        foreach (var name in header)
            if (!seen.Add(name)) throw new QedException($"{path}:1: column '{name}' appears twice in the header");

        while (true)
        {
            bool more;
            try { more = await csv.ReadAsync(ct); }
            catch (CsvFormatException e)
            {
                throw new QedException($"{path}: malformed CSV ({FirstLine(e.Message)})");
            }
            if (!more) yield break;
            var line = csv.LineNumber;
            var count = csv.FieldCount;
            if (count > header.Length)
                throw new QedException($"{path}:{line}: row has {count} fields but the header names {header.Length}");
            var fields = new JsonObject();
            for (var i = 0; i < header.Length; i++)
            {
                var value = i < count ? csv.GetString(i) : null;
                if (value is { Length: var n } && n > options.Limits.MaxFieldChars)
                    throw new QedException($"{path}:{line}: field '{header[i]}' is longer than the {InputLimits.Describe(options.Limits.MaxFieldChars)} field limit");
                fields[header[i]] = value is null ? null : JsonValue.Create(value);
            }
            yield return new DataRow(fields, path, line);
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0];

    private static void CheckText(string path, InputOptions options, CancellationToken ct)
    {
        using var reader = CheckedTextReader.Open(path, options with { Warn = options.LenientUtf8 ? options.Warn : null });
        long line = 0;
        while (reader.ReadLine(options.Limits.MaxRowChars, out var tooLong) is not null)
        {
            line++;
            if (tooLong) throw new QedException($"{path}:{line}: the line is longer than the {InputLimits.Describe(options.Limits.MaxRowChars)} row limit");
            if ((line & 0xFFFF) == 0) ct.ThrowIfCancellationRequested();
        }
    }

    private static async IAsyncEnumerable<DataRow> ReadParquetAsync(string path, [EnumeratorCancellation] CancellationToken ct)
    {
        IList<Dictionary<string, object?>> data;
        await using (var stream = File.OpenRead(path))
        {
            try
            {
                var result = await ParquetSerializer.DeserializeUntypedAsync(stream, cancellationToken: ct);
                data = result.Data;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new QedException($"{path}: not a readable Parquet file ({e.Message})");
            }
        }
        long row = 0;
        foreach (var dict in data)
        {
            row++;
            var fields = new JsonObject();
            foreach (var (key, value) in dict) fields[key] = ToNode(value);
            yield return new DataRow(fields, path, row);
        }
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short s => JsonValue.Create(s),
        byte b => JsonValue.Create(b),
        float f => JsonValue.Create(f),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        DateTime t => JsonValue.Create(t),
        DateTimeOffset t => JsonValue.Create(t),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        IDictionary<string, object?> d => new JsonObject(d.Select(kv => KeyValuePair.Create(kv.Key, ToNode(kv.Value)))),
        System.Collections.IDictionary d => new JsonObject(d.Keys.Cast<object>().Select(k => KeyValuePair.Create(k.ToString()!, ToNode(d[k])))),
        System.Collections.IEnumerable e => new JsonArray(e.Cast<object?>().Select(ToNode).ToArray()),
        _ => JsonValue.Create(value.ToString()),
    };
}
