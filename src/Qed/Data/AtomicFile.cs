namespace Qed.Data;

/// <summary>
/// Writes a file so that readers only ever see the old content or the complete new content: the bytes go
/// to a temporary file beside the target, which is renamed over it once everything has been written and
/// flushed. A failure or cancellation removes the temporary file and leaves the target untouched.
/// </summary>
public static class AtomicFile
{
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await write(stream, cancellationToken);
                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    public static Task WriteTextAsync(string path, string text, CancellationToken cancellationToken = default) =>
        WriteAsync(path, async (s, ct) =>
        {
            await using var w = new StreamWriter(s, leaveOpen: true);
            await w.WriteAsync(text.AsMemory(), ct);
        }, cancellationToken);
}
