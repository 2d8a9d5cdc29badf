using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Qed.Inference.Tokenization;

/// <summary>
/// The Qwen3 byte-level BPE tokenizer, built from a Hugging Face <c>tokenizer.json</c> on Microsoft.ML.Tokenizers:
/// NFC normalisation, the Qwen split regex, byte-level BPE over the vocab and merges, and every added token
/// (<c>&lt;|im_start|&gt;</c>, <c>&lt;think&gt;</c>, …) matched as one id before splitting. Encoding adds no
/// special tokens of its own (no BOS/EOS), as the Qwen tokenizer does.
/// </summary>
public sealed class Qwen3Tokenizer : Engine.ITokenText
{
    public const string FileName = "tokenizer.json";

    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _added;
    private readonly Dictionary<int, string> _addedById;

    /// <summary>The added tokens (special and not) by text, e.g. "&lt;|im_end|&gt;" → 151645.</summary>
    public IReadOnlyDictionary<string, int> AddedTokens => _added;

    /// <summary>Largest id + 1 (the embedding table may be padded further).</summary>
    public int VocabularySize { get; }

    private Qwen3Tokenizer(BpeTokenizer bpe, Dictionary<string, int> added, int vocabularySize)
    {
        _bpe = bpe; _added = added; VocabularySize = vocabularySize;
        _addedById = added.ToDictionary(kv => kv.Value, kv => kv.Key);
    }

    /// <summary>Loads from a directory holding <c>tokenizer.json</c> or from the file itself.</summary>
    public static Qwen3Tokenizer Load(string directoryOrFile)
    {
        var path = Directory.Exists(directoryOrFile) ? Path.Combine(directoryOrFile, FileName) : directoryOrFile;
        if (!File.Exists(path))
            throw new QedException($"{path}: tokenizer.json not found (pass a model directory that holds it, or the file itself)");
        using var stream = File.OpenRead(path);
        return FromJson(stream, path);
    }

    public static Qwen3Tokenizer FromJson(Stream tokenizerJson, string source = FileName)
    {
        using var doc = JsonDocument.Parse(tokenizerJson);
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.GetProperty("type").GetString() != "BPE")
            throw new QedException($"{source}: field 'model.type' must be BPE");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in model.GetProperty("vocab").EnumerateObject()) vocab[p.Name] = p.Value.GetInt32();

        // tokenizer.json stores merges either as "a b" strings or as ["a", "b"] pairs.
        var merges = new List<string>();
        foreach (var m in model.GetProperty("merges").EnumerateArray())
            merges.Add(m.ValueKind == JsonValueKind.String ? m.GetString()! : $"{m[0].GetString()} {m[1].GetString()}");

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var addedTokens))
            foreach (var t in addedTokens.EnumerateArray())
                added[t.GetProperty("content").GetString()!] = t.GetProperty("id").GetInt32();

        var pattern = FindSplitPattern(root) ?? throw new QedException($"{source}: field 'pre_tokenizer' has no Split regex");
        var regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        var options = new BpeOptions(vocab)
        {
            Merges = merges,
            SpecialTokens = added,
            PreTokenizer = new RegexPreTokenizer(regex, added),
            Normalizer = root.TryGetProperty("normalizer", out var n) && n.ValueKind == JsonValueKind.Object
                         && n.GetProperty("type").GetString() == "NFC" ? new NfcNormalizer() : null,
            ByteLevel = true,
        };
        int size = Math.Max(vocab.Values.DefaultIfEmpty(-1).Max(), added.Values.DefaultIfEmpty(-1).Max()) + 1;
        return new Qwen3Tokenizer(BpeTokenizer.Create(options), added, size);
    }

    private static string? FindSplitPattern(JsonElement root)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object) return null;
        IEnumerable<JsonElement> steps = pre.GetProperty("type").GetString() == "Sequence"
            ? pre.GetProperty("pretokenizers").EnumerateArray()
            : [pre];
        foreach (var s in steps)
            if (s.GetProperty("type").GetString() == "Split" && s.GetProperty("pattern").TryGetProperty("Regex", out var r))
                return r.GetString();
        return null;
    }

    /// <summary>Token ids of <paramref name="text"/>; added-token text such as "&lt;|im_start|&gt;" becomes its single id.</summary>
    public IReadOnlyList<int> Encode(string text) => _bpe.EncodeToIds(text);

    /// <summary>The text of <paramref name="ids"/> (invalid UTF-8 at a cut becomes U+FFFD).</summary>
    public string Decode(IEnumerable<int> ids) => _bpe.Decode(ids, considerSpecialTokens: true) ?? "";

    /// <summary>The id of an added token such as "&lt;|im_end|&gt;".</summary>
    public int TokenId(string addedToken) =>
        _added.TryGetValue(addedToken, out var id) ? id : throw new QedException($"the tokenizer has no added token '{addedToken}'");

    public bool IsAddedToken(int id) => _addedById.ContainsKey(id);

    public bool TryGetAddedToken(string text, out int id) => _added.TryGetValue(text, out id);

    /// <summary>Unicode NFC, the normaliser Qwen's tokenizer.json declares.</summary>
    private sealed class NfcNormalizer : Normalizer
    {
        public override string Normalize(string original) => original.Normalize(NormalizationForm.FormC);
        public override string Normalize(ReadOnlySpan<char> original) => original.ToString().Normalize(NormalizationForm.FormC);
    }
}
