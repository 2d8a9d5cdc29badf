using Microsoft.Extensions.AI;
using Qed.Inference.Engine;
using Qed.Inference.Hub;
using Qed.Llm;

namespace Qed.Inference;

/// <summary>The local model <c>qed prove</c> runs when no <c>--model</c> is given.</summary>
public static class DefaultLocalModel
{
    /// <summary>
    /// Hub repo of the community int4 ONNX export of QED-Nano (transformers.js layout: onnx/model_q4.onnx with
    /// tokenizer and config files at the top). This name is our assumption of where that export lives — no
    /// such repository could be checked from this offline machine; change it here, in one place, if it moves.
    /// </summary>
    public const string RepoId = "onnx-community/QED-Nano-ONNX";

    /// <summary>The model reference to pass where a model is named, e.g. <c>--model local:onnx-community/QED-Nano-ONNX</c>.</summary>
    public const string Reference = "local:" + RepoId;

    /// <summary>Files pulled on first use: configs, tokenizer, and only the int4 weights among the export's variants.</summary>
    public static readonly IReadOnlyList<string> PullPatterns =
        ["*.json", "*.txt", "*.jinja", "model.onnx", "model.onnx.data", "model.onnx_data", "onnx/model_q4.onnx", "onnx/model_q4.onnx_data*"];
}

/// <summary>
/// Opens <c>local:REPO_ID_OR_DIR</c>: a directory holding an ONNX export, or a Hub repo id found in the Hugging
/// Face cache, or pulled into it on first use. Without the files and without network it fails at once with a
/// message that says how to point at a directory or an endpoint instead.
/// </summary>
public sealed class LocalModelSource(HubOptions hub, HttpClient http) : ILocalModelSource
{
    public const string Prefix = "local:";

    public static LocalModelSource FromEnvironment() =>
        new(HubOptions.FromEnvironment(), new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan });

    public async Task<IChatClient> OpenAsync(string reference, CancellationToken cancellationToken)
    {
        var directory = await ResolveDirectoryAsync(reference, cancellationToken);
        return new LocalChatClient(LocalModel.Open(directory, reference));
    }

    /// <summary>The directory holding the model's files: the reference itself, or its Hub snapshot.</summary>
    public async Task<string> ResolveDirectoryAsync(string reference, CancellationToken cancellationToken)
    {
        if (reference.StartsWith(Prefix, StringComparison.Ordinal)) reference = reference[Prefix.Length..];
        if (Directory.Exists(reference)) return reference;
        if (!HubRepo.TryParse(reference, out var repo) || reference.StartsWith('.') || reference.StartsWith('/') || reference.Contains('\\'))
            throw new QedException($"local:{reference}: no such directory. {HowToPoint}");

        var cache = new HubCache(hub.CacheDirectory);
        var snapshot = cache.FindSnapshot(repo);
        if (snapshot is not null && LocalModel.FindOnnxFile(snapshot) is not null) return snapshot;
        if (hub.Offline)
            throw new QedException($"local:{reference}: not in the Hugging Face cache ({hub.CacheDirectory}) and HF_HUB_OFFLINE is set. {HowToPoint}");
        try
        {
            var result = await new HubDownloader(http, hub).PullAsync(repo, "main", DefaultLocalModel.PullPatterns, null, cancellationToken);
            return result.SnapshotFolder;
        }
        catch (QedException e)
        {
            throw new QedException($"local:{reference}: not in the Hugging Face cache ({hub.CacheDirectory}) and could not be pulled: {e.Message}. {HowToPoint}", e);
        }
    }

    private const string HowToPoint =
        "Point --model at a directory holding an ONNX export (local:/path/to/model, e.g. written by `qed export-onnx` or " +
        "`qed pull REPO_ID` on a machine with network), or at an OpenAI-compatible endpoint (vLLM, SGLang, or `qed serve` on another machine).";
}
