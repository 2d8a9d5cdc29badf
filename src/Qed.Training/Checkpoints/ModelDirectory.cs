namespace Qed.Training.Checkpoints;

/// <summary>
/// Finds the directory of a model named in a config: a plain path, <c>local:DIR</c>, or <c>local:ORG/NAME</c>
/// (a Hugging Face repo id, looked up in the Hugging Face hub cache — <c>$HF_HUB_CACHE</c>, else
/// <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c> — as <c>qed pull</c> and huggingface_hub leave it).
/// </summary>
public static class ModelDirectory
{
    public static string Resolve(string reference)
    {
        var target = reference.StartsWith("local:", StringComparison.Ordinal) ? reference["local:".Length..] : reference;
        if (Directory.Exists(target)) return Path.GetFullPath(target);
        if (target.Count(c => c == '/') == 1 && !target.StartsWith('/') && !target.StartsWith('.'))
        {
            var snapshots = Path.Combine(HubCache(), "models--" + target.Replace("/", "--"), "snapshots");
            if (Directory.Exists(snapshots))
            {
                var refFile = Path.Combine(snapshots, "..", "refs", "main");
                if (File.Exists(refFile))
                {
                    var pinned = Path.Combine(snapshots, File.ReadAllText(refFile).Trim());
                    if (Directory.Exists(pinned)) return pinned;
                }
                var newest = new DirectoryInfo(snapshots).GetDirectories().OrderByDescending(d => d.LastWriteTimeUtc).FirstOrDefault();
                if (newest is not null) return newest.FullName;
            }
            throw new QedException($"model '{target}' is not in the Hugging Face cache ({HubCache()}); run `qed pull {target}` first or give a directory");
        }
        throw new QedException($"model directory '{target}' does not exist");
    }

    private static string HubCache()
    {
        var hub = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        if (!string.IsNullOrEmpty(hub)) return hub;
        var home = Environment.GetEnvironmentVariable("HF_HOME");
        if (!string.IsNullOrEmpty(home)) return Path.Combine(home, "hub");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");
    }
}
