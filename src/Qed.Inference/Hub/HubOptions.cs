namespace Qed.Inference.Hub;

/// <summary>Where the Hugging Face Hub is and where its cache lives, from the environment variables the Python
/// tools read: HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), HF_HUB_CACHE, HF_HOME, HF_HUB_OFFLINE.</summary>
public sealed record HubOptions
{
    public string Endpoint { get; init; } = "https://huggingface.co";
    public string? Token { get; init; }
    /// <summary>The hub cache root: <c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>.</summary>
    public required string CacheDirectory { get; init; }
    public bool Offline { get; init; }

    public static HubOptions FromEnvironment(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        string? Env(string name) => getEnv(name) is { Length: > 0 } v ? v : null;
        var home = Env("HF_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");
        return new HubOptions
        {
            Endpoint = (Env("HF_ENDPOINT") ?? "https://huggingface.co").TrimEnd('/'),
            Token = Env("HF_TOKEN") ?? Env("HUGGING_FACE_HUB_TOKEN"),
            CacheDirectory = Env("HF_HUB_CACHE") ?? Path.Combine(home, "hub"),
            Offline = Env("HF_HUB_OFFLINE") is "1" or "true" or "TRUE" or "yes",
        };
    }
}

public enum HubRepoType { Model, Dataset }

/// <summary>A Hub repository: "owner/name" (a model) or "datasets/owner/name" (a dataset).</summary>
public sealed record HubRepo(string Id, HubRepoType Type = HubRepoType.Model)
{
    /// <summary>The folder in the cache: models--owner--name or datasets--owner--name.</summary>
    public string CacheFolderName => $"{(Type == HubRepoType.Model ? "models" : "datasets")}--{Id.Replace("/", "--")}";

    public string ApiPath => $"api/{(Type == HubRepoType.Model ? "models" : "datasets")}/{Id}";

    public string ResolvePrefix => Type == HubRepoType.Model ? Id : $"datasets/{Id}";

    public static bool TryParse(string text, out HubRepo repo)
    {
        var type = HubRepoType.Model;
        var id = text;
        if (id.StartsWith("datasets/", StringComparison.Ordinal)) { type = HubRepoType.Dataset; id = id["datasets/".Length..]; }
        else if (id.StartsWith("models/", StringComparison.Ordinal)) id = id["models/".Length..];
        var parts = id.Split('/');
        bool valid = parts.Length is 1 or 2 && parts.All(p => p.Length > 0 && p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                     && !parts.Any(p => p is "." or "..");
        repo = new HubRepo(id, type);
        return valid;
    }

    public static HubRepo Parse(string text) =>
        TryParse(text, out var repo) ? repo : throw new QedException($"'{text}' is not a Hugging Face repo id (owner/name, or datasets/owner/name for a dataset)");
}
