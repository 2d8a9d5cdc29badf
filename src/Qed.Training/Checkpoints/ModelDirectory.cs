using Qed.Inference.Hub;

namespace Qed.Training.Checkpoints;

/// <summary>
/// Finds the directory of a model to train from: a plain path, <c>local:DIR</c>, or <c>local:ORG/NAME</c> — a
/// Hugging Face repo id looked up in the hub cache (HF_HUB_CACHE / HF_HOME, the layout <c>qed pull</c> and
/// huggingface_hub leave). Training never downloads: pull the safetensors checkpoint first.
/// </summary>
public static class ModelDirectory
{
    public static string Resolve(string reference) => Resolve(reference, HubOptions.FromEnvironment());

    public static string Resolve(string reference, HubOptions hub)
    {
        var target = reference.StartsWith("local:", StringComparison.Ordinal) ? reference["local:".Length..] : reference;
        if (Directory.Exists(target)) return Path.GetFullPath(target);
        if (target.StartsWith('.') || target.StartsWith('/') || !HubRepo.TryParse(target, out var repo))
            throw new QedException($"model directory '{target}' does not exist");
        return new HubCache(hub.CacheDirectory).FindSnapshot(repo)
            ?? throw new QedException($"model '{target}' is not in the Hugging Face cache ({hub.CacheDirectory}); " +
                                      $"run `qed pull {target}` (with its safetensors files) first, or give a directory");
    }
}
