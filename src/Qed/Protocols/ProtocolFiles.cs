using System.Security.Cryptography;
using System.Text;

namespace Qed.Protocols;

/// <summary>Where a protocol's files (<c>prompts/…</c>, <c>agents/…</c>, laid out like the original's <c>eval/configs</c>) come from.</summary>
public interface IProtocolFiles
{
    /// <summary>Says where the files are, for messages.</summary>
    string Describe { get; }

    /// <summary>The text of <paramref name="path"/> (e.g. <c>prompts/proofbench.txt</c>); an error names the file and what to do.</summary>
    Task<string> ReadAsync(string path, CancellationToken cancellationToken);

    /// <summary>A local path to the file, for loaders that read files (agent YAMLs); fetched first when needed.</summary>
    Task<string> LocalPathAsync(string path, CancellationToken cancellationToken);
}

/// <summary>A user's own copy or variant: a directory with <c>prompts/</c> and <c>agents/</c>. Nothing is checked against hashes.</summary>
public sealed class DirectoryProtocolFiles(string directory) : IProtocolFiles
{
    public string Directory { get; } = Path.GetFullPath(directory);
    public string Describe => Directory;

    public async Task<string> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var file = await LocalPathAsync(path, cancellationToken).ConfigureAwait(false);
        try { return await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QedException($"{file}: cannot read: {e.Message}");
        }
    }

    public Task<string> LocalPathAsync(string path, CancellationToken cancellationToken)
    {
        var file = Path.Combine(Directory, path);
        return File.Exists(file) ? Task.FromResult(file)
            : throw new QedException($"--protocol {Directory}: {path} is missing (a protocol directory is laid out like the original's eval/configs: prompts/, agents/)");
    }

    /// <summary>A label for the run identity: <c>dir:</c> and the first 12 hex of a hash over the given files' contents.</summary>
    public async Task<string> LabelAsync(IEnumerable<string> paths, CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        foreach (var p in paths.Order(StringComparer.Ordinal))
            parts.Add(p + "\n" + await ReadAsync(p, cancellationToken).ConfigureAwait(false));
        return "dir:" + Qed.Llm.Hashing.Sha256Hex(parts.ToArray())[..12];
    }
}

/// <summary>
/// The original repository's files at <see cref="QedNanoFiles.Commit"/>: read from the cache
/// (<c>CACHE/protocols/qed-nano/COMMIT/PATH</c>) when a copy with the pinned sha256 is there, else downloaded from
/// <see cref="QedNanoFiles.Url"/> into it (written to a temporary file, checked, then renamed). A file whose hash
/// differs is an error naming the file and both hashes; no network and no cache is an error naming the URL and the
/// <c>--protocol DIR</c> alternative.
/// </summary>
/// <param name="pins">path → sha256; the pinned originals (<see cref="QedNanoFiles.Sha256"/>) unless a test substitutes its own fixtures.</param>
public sealed class PinnedProtocolFiles(string rawBase, string cacheDirectory, HttpClient? http, IReadOnlyDictionary<string, string>? pins = null) : IProtocolFiles
{
    private readonly IReadOnlyDictionary<string, string> _pins = pins ?? QedNanoFiles.Sha256;

    public string Describe => $"{QedNanoFiles.Repository}@{QedNanoFiles.Commit[..7]} (cache {CacheRoot})";

    private string CacheRoot => Path.Combine(cacheDirectory, "protocols", "qed-nano", QedNanoFiles.Commit);

    public async Task<string> ReadAsync(string path, CancellationToken cancellationToken) =>
        await File.ReadAllTextAsync(await LocalPathAsync(path, cancellationToken).ConfigureAwait(false), Encoding.UTF8, cancellationToken).ConfigureAwait(false);

    public async Task<string> LocalPathAsync(string path, CancellationToken cancellationToken)
    {
        if (!_pins.TryGetValue(path, out var expected))
            throw new QedException($"protocol qed-nano: {path} is not one of the pinned files ({string.Join(", ", _pins.Keys)}); use --protocol DIR for other files");
        var cached = Path.Combine(CacheRoot, path);
        if (File.Exists(cached) && Sha256Of(await File.ReadAllBytesAsync(cached, cancellationToken).ConfigureAwait(false)) == expected)
            return cached;

        var url = QedNanoFiles.Url(rawBase, path);
        byte[] bytes;
        try
        {
            if (http is null) throw new HttpRequestException("downloads are disabled");
            using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode}");
            bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new QedException($"protocol qed-nano: {path} is not in the cache ({cached}) and cannot be downloaded from {url} ({e.Message}); " +
                $"connect once to cache it, set {GitHubRaw.Variable} to a mirror, or pass --protocol DIR with a local copy laid out like eval/configs (prompts/, agents/)");
        }
        var actual = Sha256Of(bytes);
        if (actual != expected)
            throw new QedException($"protocol qed-nano: {path} downloaded from {url} has sha256 {actual}, expected {expected} (the file is not the pinned original; nothing was cached)");
        Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
        var tmp = cached + "." + Environment.ProcessId + ".part";
        await File.WriteAllBytesAsync(tmp, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(tmp, cached, overwrite: true);
        return cached;
    }

    private static string Sha256Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
