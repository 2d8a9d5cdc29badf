using System.Text.Json;
using Qed.Inference.Chat;
using Qed.Inference.Checkpoints;
using Qed.Inference.Tokenization;

namespace Qed.Inference.Engine;

/// <summary>
/// A model directory ready to generate: the ONNX decoder, its tokenizer, its chat template and the tokens that end
/// a turn. Finds the files of our own exports (model.onnx at the top) and of community exports
/// (onnx/model_q4.onnx, onnx/model.onnx, …), with tokenizer.json and config.json beside them.
/// </summary>
public sealed class LocalModel : ILocalEngine
{
    private static readonly string[] OnnxCandidates =
        ["model.onnx", "onnx/model_q4.onnx", "onnx/model_int4.onnx", "onnx/model_q4f16.onnx", "onnx/model.onnx", "model_q4.onnx"];

    public string Id { get; }
    public string Directory { get; }
    public OnnxDecoder Decoder { get; }
    public Qwen3Tokenizer Tokenizer { get; }
    ITokenText ILocalEngine.Tokenizer => Tokenizer;
    public string EngineName => "onnxruntime";
    public Qwen3ChatTemplate Template { get; }
    /// <summary>Tokens that end generation: &lt;|im_end|&gt;, &lt;|endoftext|&gt; and the config's eos ids.</summary>
    public IReadOnlySet<int> StopTokenIds { get; }
    public int MaxContext { get; }
    /// <summary>Sampling defaults from generation_config.json, when the model ships one.</summary>
    public SamplingOptions DefaultSampling { get; }

    private LocalModel(string id, string directory, OnnxDecoder decoder, Qwen3Tokenizer tokenizer, Qwen3ChatTemplate template,
        IReadOnlySet<int> stops, int maxContext, SamplingOptions sampling)
    {
        Id = id; Directory = directory; Decoder = decoder; Tokenizer = tokenizer; Template = template;
        StopTokenIds = stops; MaxContext = maxContext; DefaultSampling = sampling;
    }

    /// <summary>The ONNX file a model directory holds, or null.</summary>
    public static string? FindOnnxFile(string directory)
    {
        foreach (var c in OnnxCandidates)
        {
            var path = Path.Combine(directory, c);
            if (File.Exists(path)) return path;
        }
        var any = System.IO.Directory.Exists(directory) ? System.IO.Directory.GetFiles(directory, "*.onnx", SearchOption.AllDirectories) : [];
        return any.Length == 1 ? any[0] : null;
    }

    public static LocalModel Open(string directory, string? id = null, int? intraOpThreads = null)
    {
        var onnx = FindOnnxFile(directory) ?? throw new QedException(
            $"{directory}: no ONNX model found (looked for {string.Join(", ", OnnxCandidates)}); export one with `qed export-onnx --checkpoint DIR --out {directory}`");
        var tokenizerPath = new[] { directory, Path.GetDirectoryName(onnx)! }.Select(d => Path.Combine(d, Qwen3Tokenizer.FileName)).FirstOrDefault(File.Exists)
            ?? throw new QedException($"{directory}: tokenizer.json not found beside the ONNX model");
        var tokenizer = Qwen3Tokenizer.Load(tokenizerPath);

        Qwen3Config? config = File.Exists(Path.Combine(directory, Qwen3Config.FileName)) ? Qwen3Config.Load(directory) : null;
        var stops = new HashSet<int>();
        foreach (var t in new[] { "<|im_end|>", "<|endoftext|>" })
            if (tokenizer.AddedTokens.TryGetValue(t, out var tid)) stops.Add(tid);
        if (config is not null) stops.UnionWith(config.EosTokenIds);
        var (sampling, genEos) = ReadGenerationConfig(Path.Combine(directory, "generation_config.json"));
        stops.UnionWith(genEos);

        var decoder = new OnnxDecoder(onnx, intraOpThreads);
        return new LocalModel(id ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))), directory, decoder, tokenizer,
            new Qwen3ChatTemplate(DetectTemplate(Path.Combine(directory, "tokenizer_config.json"))), stops,
            config?.MaxPositionEmbeddings ?? 32_768, sampling);
    }

    /// <summary>The hybrid Qwen3 template takes enable_thinking; the Thinking-2507 one does not and always opens &lt;think&gt;.</summary>
    internal static Qwen3TemplateVariant DetectTemplate(string tokenizerConfigPath)
    {
        if (!File.Exists(tokenizerConfigPath)) return Qwen3TemplateVariant.Thinking2507;
        using var doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerConfigPath));
        return doc.RootElement.TryGetProperty("chat_template", out var t) && t.ValueKind == JsonValueKind.String && t.GetString()!.Contains("enable_thinking")
            ? Qwen3TemplateVariant.Hybrid
            : Qwen3TemplateVariant.Thinking2507;
    }

    internal static (SamplingOptions, int[]) ReadGenerationConfig(string path)
    {
        if (!File.Exists(path)) return (new SamplingOptions(), []);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var r = doc.RootElement;
        float F(string name, float fallback) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetSingle() : fallback;
        var sampling = new SamplingOptions
        {
            Temperature = r.TryGetProperty("do_sample", out var ds) && ds.ValueKind == JsonValueKind.False ? 0 : F("temperature", 1f),
            TopP = F("top_p", 1f),
            TopK = r.TryGetProperty("top_k", out var k) && k.ValueKind == JsonValueKind.Number ? k.GetInt32() : 0,
        };
        int[] eos = r.TryGetProperty("eos_token_id", out var e)
            ? e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().Select(x => x.GetInt32()).ToArray() : e.ValueKind == JsonValueKind.Number ? [e.GetInt32()] : []
            : [];
        return (sampling, eos);
    }

    public IAsyncEnumerable<GenerationChunk> GenerateAsync(GenerationRequest request, CancellationToken cancellationToken) =>
        new TextGenerator(this).GenerateAsync(request, cancellationToken);

    public void Dispose() => Decoder.Dispose();
}
