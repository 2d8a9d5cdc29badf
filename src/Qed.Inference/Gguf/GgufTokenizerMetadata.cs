using System.Text.Json;

namespace Qed.Inference.Gguf;

/// <summary>
/// The tokenizer as llama.cpp reads it from GGUF (<c>tokenizer.ggml.*</c>): byte-level BPE ("gpt2") with the Qwen2
/// pre-tokenizer, one token string per id up to the model's vocab size (ids the tokenizer does not use are padding
/// of type "unused"), merges as "a b" strings, special ids, and the chat template.
/// </summary>
public sealed record GgufTokenizerMetadata(
    IReadOnlyList<string> Tokens, IReadOnlyList<int> TokenTypes, IReadOnlyList<string> Merges,
    int? EosId, int? PadId, int? BosId, bool AddBos, string? ChatTemplate)
{
    // llama.cpp's llama_token_type numbering.
    public const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    /// <summary>Reads tokenizer.json, tokenizer_config.json and chat_template.jinja (when present) from a checkpoint.</summary>
    public static GgufTokenizerMetadata Load(string directory, int vocabSize, int? configBosId)
    {
        var path = Path.Combine(directory, "tokenizer.json");
        if (!File.Exists(path)) throw new QedException($"{path}: tokenizer.json not found; a GGUF needs the tokenizer of the checkpoint");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.GetProperty("type").GetString() != "BPE")
            throw new QedException($"{path}: field 'model.type' must be BPE");

        var byId = new Dictionary<int, (string Text, int Type)>();
        foreach (var p in model.GetProperty("vocab").EnumerateObject()) byId[p.Value.GetInt32()] = (p.Name, Normal);
        var byText = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGetProperty("added_tokens", out var added))
            foreach (var t in added.EnumerateArray())
            {
                var content = t.GetProperty("content").GetString()!;
                var id = t.GetProperty("id").GetInt32();
                bool special = t.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                byId[id] = (content, special ? Control : UserDefined);
                byText[content] = id;
            }
        int size = Math.Max(vocabSize, byId.Keys.DefaultIfEmpty(-1).Max() + 1);
        var tokens = new string[size];
        var types = new int[size];
        for (int i = 0; i < size; i++)
            (tokens[i], types[i]) = byId.TryGetValue(i, out var v) ? v : ($"[PAD{i}]", Unused);

        var merges = new List<string>();
        foreach (var m in model.GetProperty("merges").EnumerateArray())
            merges.Add(m.ValueKind == JsonValueKind.String ? m.GetString()! : $"{m[0].GetString()} {m[1].GetString()}");

        string? template = null;
        int? eos = null, pad = null, bos = configBosId;
        bool addBos = false;
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            using var cfg = JsonDocument.Parse(File.ReadAllBytes(configPath));
            var c = cfg.RootElement;
            int? Id(string field) => c.TryGetProperty(field, out var v) ? TokenText(v) is { } text && byText.TryGetValue(text, out var id) ? id : null : null;
            eos = Id("eos_token");
            pad = Id("pad_token");
            bos = Id("bos_token") ?? bos;
            addBos = c.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind == JsonValueKind.True;
            if (c.TryGetProperty("chat_template", out var ct) && ct.ValueKind == JsonValueKind.String) template = ct.GetString();
        }
        var jinja = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinja)) template = File.ReadAllText(jinja);
        return new GgufTokenizerMetadata(tokens, types, merges, eos, pad, bos, addBos, template);
    }

    private static string? TokenText(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Object when e.TryGetProperty("content", out var c) => c.GetString(),
        _ => null,
    };

    public void WriteTo(GgufWriter w)
    {
        w.Add("tokenizer.ggml.model", "gpt2");
        w.Add("tokenizer.ggml.pre", "qwen2");
        w.Add("tokenizer.ggml.tokens", Tokens);
        w.Add("tokenizer.ggml.token_type", TokenTypes);
        w.Add("tokenizer.ggml.merges", Merges);
        if (EosId is int eos) w.Add("tokenizer.ggml.eos_token_id", (uint)eos);
        if (PadId is int pad) w.Add("tokenizer.ggml.padding_token_id", (uint)pad);
        if (BosId is int bos) w.Add("tokenizer.ggml.bos_token_id", (uint)bos);
        w.Add("tokenizer.ggml.add_bos_token", AddBos);
        if (ChatTemplate is not null) w.Add("tokenizer.chat_template", ChatTemplate);
    }
}
