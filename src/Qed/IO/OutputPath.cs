namespace Qed.IO;

/// <summary>Whether a command's output option names one file (an export, a report, a run store) or a folder it fills
/// (a checkpoint, an ONNX export).</summary>
public enum OutputKind { File, Folder }

/// <summary>
/// The one rule for every path a command writes to (docs/cli.md, "Output paths"):
/// <list type="bullet">
/// <item>missing parent folders are created;</item>
/// <item>an existing folder is never taken for a file, nor an existing file for a folder;</item>
/// <item>a parent that is a file, or a folder the process cannot write in (<c>/proc</c>, read-only mounts), is refused
/// before any work starts, with one line naming the path;</item>
/// <item>the file itself is written beside its final name and renamed into place (<see cref="Qed.Data.AtomicFile"/>), so a
/// failure leaves nothing behind.</item>
/// </list>
/// <see cref="Problem"/> checks without touching the disk (a command-line validator uses it); <see cref="Prepare"/>
/// applies the rule and creates the missing folders just before writing.
/// </summary>
public static class OutputPath
{
    /// <summary>Why <paramref name="path"/> cannot be written as <paramref name="kind"/>, or null when it can. Nothing is
    /// created; the probe of a folder's writability leaves no file behind.</summary>
    public static string? Problem(string path, OutputKind kind)
    {
        if (string.IsNullOrWhiteSpace(path)) return "the path is empty";
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return $"{path} is not a valid path ({e.Message})"; }

        if (kind == OutputKind.File)
        {
            if (Directory.Exists(full)) return $"{path} is a folder; name a file inside it";
            if (full.EndsWith(Path.DirectorySeparatorChar) || full.EndsWith(Path.AltDirectorySeparatorChar)) return $"{path} names a folder; name a file";
        }
        else if (File.Exists(full)) return $"{path} is a file, not a folder";

        // The nearest ancestor that exists decides: it must be a folder we can create entries in.
        var start = kind == OutputKind.File ? Path.GetDirectoryName(full) : full;
        for (var dir = start; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir)) return $"{dir} is a file, so {path} cannot be created under it";
            if (!Directory.Exists(dir)) continue;
            return CanCreateIn(dir) ? null : $"cannot write in {dir} (permission denied or not a writable file system)";
        }
        return $"{path}: no existing folder above it";
    }

    /// <summary>Applies the rule: throws a <see cref="QedException"/> naming <paramref name="what"/> (e.g. "--out") when the
    /// path cannot be written, otherwise creates the missing folders and returns the full path.</summary>
    public static string Prepare(string path, OutputKind kind, string what)
    {
        if (Problem(path, kind) is { } problem) throw new QedException($"{what}: {problem}");
        var full = Path.GetFullPath(path);
        var folder = kind == OutputKind.File ? Path.GetDirectoryName(full)! : full;
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new QedException($"{what}: cannot create folder {folder} ({e.Message})", e);
        }
        return full;
    }

    // Permission bits lie for root and for read-only or virtual file systems (/proc): the only reliable test is to try.
    private static bool CanCreateIn(string dir)
    {
        var probe = Path.Combine(dir, $".qed-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        finally
        {
            try { File.Delete(probe); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }
}
