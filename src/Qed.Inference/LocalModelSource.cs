using Microsoft.Extensions.AI;
using Qed.Inference.Engine;
using Qed.Inference.Gguf;
using Qed.Inference.Hub;
using Qed.Inference.Llama;
using Qed.Llm;

namespace Qed.Inference;

/// <summary>The local model <c>qed prove</c> runs when no <c>--model</c> is given.</summary>
public static class DefaultLocalModel
{
    /// <summary>The official QED-Nano checkpoint (safetensors, the name on the model card). On first use it is pulled into
    /// the Hugging Face cache and converted once into a cached Q4_K_M GGUF for llama.cpp.</summary>
    public const string RepoId = "lm-provers/QED-Nano";

    /// <summary>The model reference to pass where a model is named.</summary>
    public const string Reference = "local:" + RepoId;

    /// <summary>The GGUF weight type a safetensors repo is converted to when the reference names none.</summary>
    public const string Quant = "q4_k_m";

    /// <summary>
    /// Hub repo of the community int4 ONNX export of QED-Nano (transformers.js layout: onnx/model_q4.onnx with
    /// tokenizer and config files at the top), run on ONNX Runtime. This name is our assumption of where that export
    /// lives — no such repository could be checked from this offline machine; change it here if it moves.
    /// </summary>
    public const string OnnxRepoId = "onnx-community/QED-Nano-ONNX";

    /// <summary>Files pulled for an ONNX repo: configs, tokenizer, and only the int4 weights among the export's variants.</summary>
    public static readonly IReadOnlyList<string> PullPatterns =
        ["*.json", "*.txt", "*.jinja", "model.onnx", "model.onnx.data", "model.onnx_data", "onnx/model_q4.onnx", "onnx/model_q4.onnx_data*"];

    /// <summary>Files pulled for a safetensors checkpoint that is converted to GGUF.</summary>
    public static readonly IReadOnlyList<string> CheckpointPatterns = ["*.json", "*.safetensors", "*.jinja", "*.txt"];
}

/// <summary>
/// Opens <c>local:REF</c> on the engine its files call for — one seam, two engines:
/// <list type="bullet">
/// <item><c>local:PATH.gguf</c>, or <c>local:DIR</c> holding a .gguf → llama.cpp;</item>
/// <item><c>local:DIR</c> holding an ONNX export → ONNX Runtime;</item>
/// <item><c>local:REPO_ID[:QUANT]</c> → the Hugging Face cache, pulled on first use: a repo of GGUF files gives the one
/// whose name holds QUANT (Q4_K_M unless named); a repo of safetensors (a Qwen3 checkpoint) is converted once to a
/// GGUF of that type, cached beside the Hub cache (<c>HF_HOME/qed/gguf/…</c>); an ONNX repo runs on ONNX Runtime.</item>
/// </list>
/// Every reference opened twice shares one loaded model (for llama.cpp: one batched context), so all concurrent
/// requests of the process batch together. Without the files and without network it fails at once, saying how to
/// point at a directory or an endpoint instead.
/// </summary>
public sealed class LocalModelSource(HubOptions hub, HttpClient http, LlamaOptions? llama = null, Action<string>? log = null) : ILocalModelSource, IDisposable
{
    public const string Prefix = "local:";

    private readonly LlamaOptions _llama = llama ?? new LlamaOptions();
    private readonly Dictionary<string, (ILocalEngine Engine, int Users)> _loaded = new();
    private readonly SemaphoreSlim _loading = new(1, 1);

    public static LocalModelSource FromEnvironment(LlamaOptions? llama = null) =>
        new(HubOptions.FromEnvironment(), new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) }) { Timeout = Timeout.InfiniteTimeSpan },
            llama ?? LlamaOptions.FromEnvironment(), m => Console.Error.WriteLine(m));

    /// <summary>Where converted GGUF files are cached: beside the Hub cache, never inside its snapshots.</summary>
    public string ConvertedCacheDirectory =>
        Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(hub.CacheDirectory)))!, "qed", "gguf");

    public async Task<IChatClient> OpenAsync(string reference, CancellationToken cancellationToken)
    {
        var model = await ResolveAsync(reference, cancellationToken);
        var id = reference.StartsWith(Prefix, StringComparison.Ordinal) ? reference[Prefix.Length..] : reference;
        await _loading.WaitAsync(cancellationToken);
        try
        {
            var key = model.Kind + ":" + Path.GetFullPath(model.Path);
            if (!_loaded.TryGetValue(key, out var entry))
            {
                ILocalEngine engine = model.Kind == LocalModelKind.Gguf
                    ? await Task.Run(() => LlamaModel.Open(model.Path, id, _llama), cancellationToken)
                    : LocalModel.Open(model.Path, reference);
                entry = (engine, 0);
            }
            _loaded[key] = (entry.Engine, entry.Users + 1);
            return new LocalChatClient(entry.Engine, new Lease(this, key));
        }
        finally { _loading.Release(); }
    }

    private void Release(string key)
    {
        _loading.Wait();
        try
        {
            if (!_loaded.TryGetValue(key, out var entry)) return;
            if (entry.Users > 1) { _loaded[key] = (entry.Engine, entry.Users - 1); return; }
            _loaded.Remove(key);
            entry.Engine.Dispose();
        }
        finally { _loading.Release(); }
    }

    private sealed class Lease(LocalModelSource source, string key) : IDisposable
    {
        private int _disposed;
        public void Dispose() { if (Interlocked.Exchange(ref _disposed, 1) == 0) source.Release(key); }
    }

    /// <summary>The directory holding the model's files (kept for callers that only need files, e.g. ONNX exports).</summary>
    public async Task<string> ResolveDirectoryAsync(string reference, CancellationToken cancellationToken)
    {
        var model = await ResolveAsync(reference, cancellationToken);
        return model.Kind == LocalModelKind.Gguf ? Path.GetDirectoryName(model.Path)! : model.Path;
    }

    /// <summary>The file or directory a reference names and the engine it runs on, pulling and converting on first use.</summary>
    public async Task<LocalModelFiles> ResolveAsync(string reference, CancellationToken cancellationToken)
    {
        if (reference.StartsWith(Prefix, StringComparison.Ordinal)) reference = reference[Prefix.Length..];
        if (File.Exists(reference))
            return reference.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? new(reference, LocalModelKind.Gguf)
                : throw new QedException($"local:{reference}: not a .gguf file. {HowToPoint}");
        if (Directory.Exists(reference))
            return FromDirectory(reference, null) ?? throw new QedException($"local:{reference}: the directory holds no .gguf file and no ONNX export. {HowToPoint}");

        string repoText = reference, quant = DefaultLocalModel.Quant;
        int colon = reference.IndexOf(':');
        bool named = colon > 0;
        if (named) (repoText, quant) = (reference[..colon], reference[(colon + 1)..].ToLowerInvariant());
        if (!HubRepo.TryParse(repoText, out var repo) || repoText.StartsWith('.') || repoText.StartsWith('/') || repoText.Contains('\\'))
            throw new QedException($"local:{reference}: no such directory or .gguf file. {HowToPoint}");

        var cache = new HubCache(hub.CacheDirectory);
        var snapshot = cache.FindSnapshot(repo);
        if (snapshot is not null && await FromSnapshotAsync(repo, snapshot, quant, named, cancellationToken) is { } cached) return cached;
        if (hub.Offline)
            throw new QedException($"local:{reference}: not in the Hugging Face cache ({hub.CacheDirectory}) and HF_HUB_OFFLINE is set. {HowToPoint}");
        try
        {
            var downloader = new HubDownloader(http, hub);
            var (_, files) = await downloader.ListAsync(repo, "main", cancellationToken);
            IReadOnlyList<string> patterns;
            var ggufs = files.Where(f => f.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)).ToList();
            if (ggufs.Count > 0)
            {
                var pick = ggufs.FirstOrDefault(f => Path.GetFileName(f.Path).Contains(quant, StringComparison.OrdinalIgnoreCase))
                    ?? (ggufs.Count == 1 ? ggufs[0] : throw new QedException(
                        $"local:{reference}: no GGUF file named like '{quant}' among {string.Join(", ", ggufs.Select(f => f.Path))}; name one with local:{repoText}:QUANT"));
                patterns = [pick.Path, "*.json"];
            }
            else if (files.Any(f => f.Path.EndsWith(".onnx", StringComparison.Ordinal))) patterns = DefaultLocalModel.PullPatterns;
            else if (files.Any(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal))) patterns = DefaultLocalModel.CheckpointPatterns;
            else throw new QedException($"local:{reference}: the repository holds no .gguf, ONNX or safetensors files");

            string? current = null;
            var pulled = await downloader.PullAsync(repo, "main", patterns, new InlineProgress<PullProgress>(p =>
            {
                if (p.File == current) return;
                current = p.File;
                log?.Invoke($"pull {repo.Id}: {p.File} ({p.FileSize:N0} bytes) [{p.TotalBytes:N0}/{p.TotalSize:N0}]");
            }), cancellationToken);
            return await FromSnapshotAsync(repo, pulled.SnapshotFolder, quant, named, cancellationToken)
                ?? throw new QedException($"local:{reference}: pulled {pulled.Files.Count} files but found no model among them");
        }
        catch (QedException e) when (!e.Message.StartsWith("local:", StringComparison.Ordinal))
        {
            throw new QedException($"local:{reference}: not in the Hugging Face cache ({hub.CacheDirectory}) and could not be pulled: {e.Message}. {HowToPoint}", e);
        }
        catch (HttpRequestException e)
        {
            throw new QedException($"local:{reference}: not in the Hugging Face cache ({hub.CacheDirectory}) and could not be pulled: {e.Message}. {HowToPoint}", e);
        }
    }

    private static LocalModelFiles? FromDirectory(string directory, string? quant)
    {
        if (LlamaModel.FindGgufFile(directory, quant) is { } gguf) return new(gguf, LocalModelKind.Gguf);
        if (LocalModel.FindOnnxFile(directory) is not null) return new(directory, LocalModelKind.Onnx);
        return null;
    }

    /// <summary>A cached snapshot's model: its GGUF or ONNX files, or its safetensors checkpoint converted (once) to GGUF.</summary>
    private async Task<LocalModelFiles?> FromSnapshotAsync(HubRepo repo, string snapshot, string quant, bool named, CancellationToken cancellationToken)
    {
        // A quant named in the reference must be the file's; otherwise the one GGUF a snapshot holds will do.
        var ggufs = Directory.GetFiles(snapshot, "*.gguf", SearchOption.AllDirectories);
        var match = ggufs.FirstOrDefault(f => Path.GetFileName(f).Contains(quant, StringComparison.OrdinalIgnoreCase))
                    ?? (!named && ggufs.Length == 1 ? ggufs[0] : null);
        if (match is not null) return new(match, LocalModelKind.Gguf);
        if (ggufs.Length == 0 && LocalModel.FindOnnxFile(snapshot) is not null) return new(snapshot, LocalModelKind.Onnx);
        bool checkpoint = File.Exists(Path.Combine(snapshot, "config.json"))
                          && Directory.EnumerateFiles(snapshot, "*.safetensors").Any() && File.Exists(Path.Combine(snapshot, "tokenizer.json"));
        if (!checkpoint) return null;
        GgufWeightTypes.QuantizedFileType(quant); // refuses an unknown type before any work
        var commit = Path.GetFileName(Path.TrimEndingDirectorySeparator(snapshot));
        var target = Path.Combine(ConvertedCacheDirectory, repo.CacheFolderName, commit, $"model-{quant}.gguf");
        if (File.Exists(target)) return new(target, LocalModelKind.Gguf);
        log?.Invoke($"convert {repo.Id}@{commit[..Math.Min(12, commit.Length)]} to {quant.ToUpperInvariant()} GGUF (once) → {target}");
        await new Qwen3GgufExporter().ExportAsync(snapshot, target, new GgufExportOptions { Type = quant, Name = repo.Id },
            new InlineProgress<string>(m => log?.Invoke("convert: " + m)), cancellationToken);
        foreach (var extra in new[] { "generation_config.json" })
            if (File.Exists(Path.Combine(snapshot, extra))) File.Copy(Path.Combine(snapshot, extra), Path.Combine(Path.GetDirectoryName(target)!, extra), true);
        return new(target, LocalModelKind.Gguf);
    }

    private const string HowToPoint =
        "Point --model at a GGUF file or a directory holding one (local:/path/model.gguf, e.g. written by `qed export-gguf`), at a directory " +
        "holding an ONNX export (local:/path/to/model, from `qed export-onnx`), or pull on a machine with network (`qed pull " + DefaultLocalModel.RepoId +
        "`, or `qed pull " + DefaultLocalModel.OnnxRepoId + "` for the ONNX backend); or at an OpenAI-compatible endpoint (vLLM, SGLang, or `qed serve` on another machine).";

    public void Dispose()
    {
        foreach (var (engine, _) in _loaded.Values) engine.Dispose();
        _loaded.Clear();
    }
}

public enum LocalModelKind { Gguf, Onnx }

/// <summary>A resolved local model: a .gguf file (llama.cpp) or an ONNX export directory (ONNX Runtime).</summary>
public sealed record LocalModelFiles(string Path, LocalModelKind Kind);
