using System.Text;
using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>
/// An append-only JSONL file that survives kills: every line is written whole and flushed before the call
/// returns, and on opening, a torn last line (a kill mid-write) is cut off so the file again holds only
/// complete rows. Safe to append from many concurrent tasks.
/// </summary>
public sealed class JsonlJournal : IAsyncDisposable
{
    private readonly FileStream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public string Path { get; }

    /// <summary>The complete rows the file held when it was opened.</summary>
    public IReadOnlyList<JsonObject> Existing { get; }

    private JsonlJournal(string path, FileStream stream, IReadOnlyList<JsonObject> existing)
    {
        Path = path;
        _stream = stream;
        Existing = existing;
    }

    public static async Task<JsonlJournal> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16, useAsync: true);
        try
        {
            var existing = new List<JsonObject>();
            var bytes = new byte[stream.Length];
            await stream.ReadExactlyAsync(bytes, cancellationToken);
            long keep = 0, start = 0, line = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != (byte)'\n') continue;
                line++;
                var text = Encoding.UTF8.GetString(bytes, (int)start, (int)(i - start));
                if (!string.IsNullOrWhiteSpace(text))
                    existing.Add(TableReader.ParseJsonObject(text, path, line));
                start = i + 1;
                keep = start;
            }
            // Bytes after the last newline are a line whose write was interrupted: drop them.
            if (keep < bytes.Length) stream.SetLength(keep);
            stream.Seek(0, SeekOrigin.End);
            return new JsonlJournal(path, stream, existing);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    public async Task AppendAsync(JsonObject row, CancellationToken cancellationToken = default)
    {
        var bytes = Encoding.UTF8.GetBytes(TableWriter.ToJsonLine(row) + "\n");
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Not cancellable once started: a line is written whole or not at all.
            await _stream.WriteAsync(bytes, CancellationToken.None);
            await _stream.FlushAsync(CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _gate.Dispose();
    }
}
