using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Qed.Inference.Hub;

/// <summary>One file of a repository at a commit, as the Hub API lists it.</summary>
public sealed record HubFile(string Path, long Size, string Etag, bool IsLfs);

/// <summary>Progress of a pull: bytes of the current file and of the whole pull.</summary>
public sealed record PullProgress(string File, long FileBytes, long FileSize, long TotalBytes, long TotalSize);

/// <summary>What a pull did.</summary>
public sealed record PullResult(string SnapshotFolder, string Commit, IReadOnlyList<HubFile> Files, int Downloaded, int Reused);

/// <summary>
/// Downloads a Hub repository into the <see cref="HubCache"/>: lists files at a revision
/// (<c>GET /api/{models|datasets}/ID/revision/REV?blobs=true</c>), fetches each missing blob
/// (<c>GET /ID/resolve/COMMIT/PATH</c>) into <c>blobs/ETAG.incomplete</c>, resuming with a Range request,
/// checks size and hash (sha256 for LFS files, the git blob sha1 otherwise), then links the snapshot.
/// Blobs already in the cache, whoever put them there, are reused without a request.
/// </summary>
public sealed class HubDownloader(HttpClient http, HubOptions options)
{
    private readonly HubCache _cache = new(options.CacheDirectory);

    public HubCache Cache => _cache;

    public async Task<(string Commit, IReadOnlyList<HubFile> Files)> ListAsync(HubRepo repo, string revision, CancellationToken ct)
    {
        var url = $"{options.Endpoint}/{repo.ApiPath}/revision/{Uri.EscapeDataString(revision)}?blobs=true";
        using var response = await SendAsync(HttpMethod.Get, url, null, ct);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new QedException($"{repo.Id}@{revision}: the Hub at {options.Endpoint} answered {(int)response.StatusCode} ({response.ReasonPhrase}); " +
                                   (options.Token is null ? "if the repository is gated or private, set HF_TOKEN" : "check the repo id, the revision and HF_TOKEN's access"));
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(ct));
        var root = doc.RootElement;
        var commit = root.TryGetProperty("sha", out var sha) ? sha.GetString()! : throw new QedException($"{url}: the answer has no 'sha' field");
        var files = new List<HubFile>();
        foreach (var s in root.GetProperty("siblings").EnumerateArray())
        {
            var path = s.GetProperty("rfilename").GetString()!;
            if (s.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                files.Add(new HubFile(path, lfs.GetProperty("size").GetInt64(), lfs.GetProperty("sha256").GetString()!, true));
            else
                files.Add(new HubFile(path, s.TryGetProperty("size", out var size) ? size.GetInt64() : -1,
                    s.TryGetProperty("blobId", out var blob) ? blob.GetString()! : throw new QedException($"{url}: file '{path}' has no blobId (ask with ?blobs=true)"), false));
        }
        return (commit, files);
    }

    public async Task<PullResult> PullAsync(HubRepo repo, string revision, IReadOnlyList<string> include, IProgress<PullProgress>? progress, CancellationToken ct)
    {
        var (commit, all) = await ListAsync(repo, revision, ct);
        var matchers = include.Select(GlobToRegex).ToList();
        var files = all.Where(f => matchers.Count == 0 || matchers.Any(m => m.IsMatch(f.Path))).ToList();
        if (files.Count == 0 && matchers.Count > 0)
            throw new QedException($"{repo.Id}@{revision}: no file matches --include {string.Join(" ", include)} (the repository has {all.Count} files)");

        long totalSize = files.Sum(f => Math.Max(0, f.Size)), totalDone = 0;
        int downloaded = 0, reused = 0;
        foreach (var file in files)
        {
            ct.ThrowIfCancellationRequested();
            var blob = _cache.BlobPath(repo, file.Etag);
            if (File.Exists(blob) && (file.Size < 0 || new FileInfo(blob).Length == file.Size))
                reused++;
            else
            {
                long before = totalDone;
                await DownloadBlobAsync(repo, commit, file, blob, done => progress?.Report(new PullProgress(file.Path, done, file.Size, before + done, totalSize)), ct);
                downloaded++;
            }
            totalDone += Math.Max(0, file.Size);
            progress?.Report(new PullProgress(file.Path, file.Size, file.Size, totalDone, totalSize));
            _cache.LinkSnapshotFile(repo, commit, file.Path, file.Etag);
        }
        _cache.WriteRef(repo, revision, commit);
        return new PullResult(_cache.SnapshotFolder(repo, commit), commit, files, downloaded, reused);
    }

    private async Task DownloadBlobAsync(HubRepo repo, string commit, HubFile file, string blob, Action<long> report, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        var partial = blob + ".incomplete";
        long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (file.Size >= 0 && have > file.Size) { File.Delete(partial); have = 0; }
        var url = $"{options.Endpoint}/{repo.ResolvePrefix}/resolve/{commit}/{string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString))}";

        if (file.Size < 0 || have < file.Size)
        {
            using var response = await SendAsync(HttpMethod.Get, url, have > 0 ? new RangeHeaderValue(have, null) : null, ct);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable) { File.Delete(partial); throw new QedException($"{url}: the server refused to resume; run the pull again"); }
            response.EnsureSuccessStatusCode();
            bool append = have > 0 && response.StatusCode == HttpStatusCode.PartialContent;
            if (!append) have = 0;
            await using var source = await response.Content.ReadAsStreamAsync(ct);
            await using var target = new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            var buffer = new byte[1 << 16];
            int read;
            long lastReport = 0;
            while ((read = await source.ReadAsync(buffer, ct)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), ct);
                have += read;
                if (have - lastReport >= 1 << 20) { report(have); lastReport = have; }
            }
        }

        long size = new FileInfo(partial).Length;
        if (file.Size >= 0 && size != file.Size)
            throw new QedException($"{repo.Id}/{file.Path}: downloaded {size} bytes, expected {file.Size}; run the pull again to resume");
        var actual = await HashAsync(partial, file.IsLfs, ct);
        if (!string.Equals(actual, file.Etag, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            throw new QedException($"{repo.Id}/{file.Path}: content hash {actual} does not match the Hub's {file.Etag}; the partial file was removed, run the pull again");
        }
        File.Move(partial, blob, overwrite: true);
    }

    /// <summary>sha256 of the content for LFS files; for regular files the git blob id, sha1("blob SIZE\0" + content).</summary>
    public static async Task<string> HashAsync(string path, bool lfs, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        if (lfs) return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct)) > 0) sha1.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, RangeHeaderValue? range, CancellationToken ct)
    {
        if (options.Offline) throw new QedException($"HF_HUB_OFFLINE is set; not contacting {options.Endpoint}");
        var request = new HttpRequestMessage(method, url);
        if (options.Token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        if (range is not null) request.Headers.Range = range;
        request.Headers.UserAgent.ParseAdd("qed/1.0");
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new QedException($"cannot reach the Hugging Face Hub at {options.Endpoint} ({e.Message})", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new QedException($"the Hugging Face Hub at {options.Endpoint} did not answer in time", e);
        }
    }

    /// <summary>fnmatch-style pattern as huggingface_hub's allow_patterns use it: * and ? also match '/'.</summary>
    public static Regex GlobToRegex(string glob)
    {
        var sb = new StringBuilder("^");
        foreach (var ch in glob)
            sb.Append(ch switch { '*' => ".*", '?' => ".", _ => Regex.Escape(ch.ToString()) });
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }
}
