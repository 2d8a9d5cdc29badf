using System.Text;
using LLama.Exceptions;
using LLama.Native;
using Qed.Inference.Chat;
using Qed.Inference.Engine;

namespace Qed.Inference.Llama;

/// <summary>
/// A GGUF model on llama.cpp: the weights, one <see cref="BatchedDecoder"/> (one llama.cpp context) that every
/// concurrent request shares, the GGUF's tokenizer and its chat template (our C# rendering of the Qwen3 template,
/// the variant chosen from the template text the GGUF carries).
/// </summary>
public sealed class LlamaModel : ILocalEngine
{
    private readonly SafeLlamaModelHandle _weights;

    public string Id { get; }
    public string EngineName => "llama.cpp";
    public string Path { get; }
    public ITokenText Tokenizer { get; }
    public Qwen3ChatTemplate Template { get; }
    public int MaxContext => Decoder.ContextSize;
    public SamplingOptions DefaultSampling { get; }
    public IReadOnlySet<int> StopTokenIds { get; }
    public BatchedDecoder Decoder { get; }
    public LlamaOptions Options { get; }
    internal SafeLlamaModelHandle Weights => _weights;

    private LlamaModel(string id, string path, SafeLlamaModelHandle weights, LlamaOptions options)
    {
        Id = id; Path = path; _weights = weights; Options = options;
        Tokenizer = new LlamaTokenText(weights);
        var template = Metadata(weights, "tokenizer.chat_template") ?? "";
        Template = new Qwen3ChatTemplate(template.Contains("enable_thinking") ? Qwen3TemplateVariant.Hybrid : Qwen3TemplateVariant.Thinking2507);

        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var (sampling, genEos) = LocalModel.ReadGenerationConfig(System.IO.Path.Combine(directory, "generation_config.json"));
        DefaultSampling = sampling;
        var stops = new HashSet<int>(genEos);
        foreach (var t in new[] { "<|im_end|>", "<|endoftext|>" })
            if (Tokenizer.TryGetAddedToken(t, out var id2)) stops.Add(id2);
        if (weights.Vocab.EOS is { } eos) stops.Add((int)eos);
        if (weights.Vocab.EOT is { } eot) stops.Add((int)eot);
        StopTokenIds = stops;
        Decoder = new BatchedDecoder(weights, options, Tokenizer, stops);
    }

    /// <summary>Loads a .gguf file (or the one .gguf in a directory).</summary>
    public static LlamaModel Open(string path, string? id = null, LlamaOptions? options = null)
    {
        options ??= new LlamaOptions();
        options.Validate();
        var file = FindGgufFile(path) ?? throw new QedException($"{path}: no .gguf file found (write one with `qed export-gguf --checkpoint DIR --out {path}`)");
        LlamaRuntime.EnsureLoaded();
        var p = LLamaModelParams.Default();
        p.n_gpu_layers = options.GpuLayers;
        SafeLlamaModelHandle weights;
        try { weights = SafeLlamaModelHandle.LoadFromFile(file, p); }
        catch (Exception e) when (e is RuntimeError or LoadWeightsFailedException)
        {
            throw new QedException($"{file}: llama.cpp cannot load the model ({e.Message})", e);
        }
        try
        {
            return new LlamaModel(id ?? System.IO.Path.GetFileNameWithoutExtension(file), file, weights, options);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>The GGUF a path names: the file itself, or the single .gguf in a directory (preferring Q4_K_M when there are several).</summary>
    public static string? FindGgufFile(string path, string? quant = null)
    {
        if (File.Exists(path)) return path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? path : null;
        if (!Directory.Exists(path)) return null;
        var files = Directory.GetFiles(path, "*.gguf", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".source.gguf", StringComparison.Ordinal)).OrderBy(f => f, StringComparer.Ordinal).ToArray();
        if (files.Length <= 1) return files.FirstOrDefault();
        var wanted = (quant ?? "Q4_K_M").ToUpperInvariant();
        return files.FirstOrDefault(f => System.IO.Path.GetFileName(f).ToUpperInvariant().Contains(wanted)) ?? files[0];
    }

    internal static string? Metadata(SafeLlamaModelHandle model, string key)
    {
        var value = model.MetadataValueByKey(key);
        return value is { } v ? Encoding.UTF8.GetString(v.Span).TrimEnd('\0') : null;
    }

    public IAsyncEnumerable<GenerationChunk> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken) =>
        Decoder.GenerateAsync(request, cancellationToken);

    public void Dispose()
    {
        Decoder.Dispose();
        _weights.Dispose();
    }
}
