using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>
/// The output of a stage that produces one row per unit of work (a request, a proof to grade) and may be
/// killed at any moment. Finished rows go to a journal beside the output (<c>OUT.partial.jsonl</c>,
/// flushed per row); <see cref="CompleteAsync"/> writes the output file atomically (rows from an earlier
/// complete output plus the journal, in key order) and removes the journal. Rerunning the same command
/// skips every key already present in either file.
/// </summary>
public sealed class ResumableOutput : IAsyncDisposable
{
    private readonly Dictionary<string, JsonObject> _rows = new();
    private readonly Func<JsonObject, string> _keyOf;
    private readonly JsonlJournal _journal;
    private readonly object _lock = new();

    public string OutputPath { get; }
    public string JournalPath => _journal.Path;

    /// <summary>Rows already present when the stage started (from the output and the journal).</summary>
    public int Resumed { get; }

    private ResumableOutput(string outputPath, JsonlJournal journal, Func<JsonObject, string> keyOf, Dictionary<string, JsonObject> rows)
    {
        OutputPath = outputPath;
        _journal = journal;
        _keyOf = keyOf;
        _rows = rows;
        Resumed = rows.Count;
    }

    public static string JournalPathFor(string outputPath) => outputPath + ".partial.jsonl";

    /// <param name="keep">which present rows count as done; the others (say, recorded errors when the user
    /// asks to retry them) are dropped and their work is done again.</param>
    public static async Task<ResumableOutput> OpenAsync(string outputPath, Func<JsonObject, string> keyOf,
        Func<JsonObject, bool>? keep = null, CancellationToken cancellationToken = default)
    {
        keep ??= _ => true;
        var rows = new Dictionary<string, JsonObject>();
        string KeyOf(JsonObject row, string where)
        {
            try { return keyOf(row); }
            catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException or KeyNotFoundException)
            {
                throw new QedException($"{where}: this row is not one this stage wrote ({e.Message}); move the file away or choose another --out");
            }
        }
        if (File.Exists(outputPath))
            await foreach (var row in TableReader.ReadAsync(outputPath, cancellationToken))
                if (keep(row.Fields)) rows[KeyOf(row.Fields, row.Where)] = row.Fields;
        var journal = await JsonlJournal.OpenAsync(JournalPathFor(outputPath), cancellationToken);
        try
        {
            var line = 0;
            foreach (var row in journal.Existing)
            {
                line++;
                if (keep(row)) rows[KeyOf(row, $"{journal.Path}:{line}")] = row;
            }
        }
        catch
        {
            await journal.DisposeAsync();
            throw;
        }
        return new ResumableOutput(outputPath, journal, keyOf, rows);
    }

    public bool Contains(string key)
    {
        lock (_lock) return _rows.ContainsKey(key);
    }

    public int Count
    {
        get { lock (_lock) return _rows.Count; }
    }

    public async Task AppendAsync(JsonObject row, CancellationToken cancellationToken = default)
    {
        await _journal.AppendAsync(row, cancellationToken);
        lock (_lock) _rows[_keyOf(row)] = row;
    }

    /// <summary>Writes the whole output atomically in the order <paramref name="order"/> gives, then drops the journal.</summary>
    public async Task<IReadOnlyList<JsonObject>> CompleteAsync(Func<IEnumerable<JsonObject>, IEnumerable<JsonObject>> order,
        CancellationToken cancellationToken = default)
    {
        List<JsonObject> rows;
        lock (_lock) rows = order(_rows.Values).ToList();
        await TableWriter.WriteAsync(OutputPath, rows, cancellationToken);
        await _journal.DisposeAsync();
        File.Delete(JournalPath);
        return rows;
    }

    public ValueTask DisposeAsync() => _journal.DisposeAsync();
}
