namespace Qed.Inference.Hub;

/// <summary>
/// The Hugging Face hub cache as huggingface_hub lays it out, so files are shared with the Python tools:
/// <c>ROOT/models--owner--name/blobs/ETAG</c> holds content, <c>snapshots/COMMIT/PATH</c> links to the blob,
/// <c>refs/REVISION</c> holds the commit a branch or tag pointed at when last pulled.
/// </summary>
public sealed class HubCache(string root)
{
    public string Root { get; } = root;

    public string RepoFolder(HubRepo repo) => Path.Combine(Root, repo.CacheFolderName);

    public string BlobPath(HubRepo repo, string etag) => Path.Combine(RepoFolder(repo), "blobs", etag);

    public string SnapshotFolder(HubRepo repo, string commit) => Path.Combine(RepoFolder(repo), "snapshots", commit);

    /// <summary>The snapshot folder for a revision (branch, tag or commit) if the cache has one, else null.</summary>
    public string? FindSnapshot(HubRepo repo, string revision = "main")
    {
        var refFile = Path.Combine(RepoFolder(repo), "refs", revision);
        string commit = File.Exists(refFile) ? File.ReadAllText(refFile).Trim() : revision;
        var folder = SnapshotFolder(repo, commit);
        return Directory.Exists(folder) ? folder : null;
    }

    public void WriteRef(HubRepo repo, string revision, string commit)
    {
        if (revision == commit) return;
        var refFile = Path.Combine(RepoFolder(repo), "refs", revision);
        Directory.CreateDirectory(Path.GetDirectoryName(refFile)!);
        File.WriteAllText(refFile, commit);
    }

    /// <summary>Points snapshots/COMMIT/PATH at the blob with a relative symbolic link (a copy where links are not allowed).</summary>
    public void LinkSnapshotFile(HubRepo repo, string commit, string path, string etag)
    {
        var target = Path.Combine(SnapshotFolder(repo, commit), path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var blob = BlobPath(repo, etag);
        if (File.Exists(target) || new FileInfo(target).LinkTarget is not null) File.Delete(target);
        var relative = Path.GetRelativePath(Path.GetDirectoryName(target)!, blob);
        try { File.CreateSymbolicLink(target, relative); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException) { File.Copy(blob, target); }
    }
}
