using System.Text;
using LLama.Native;
using Qed.Inference.Engine;

namespace Qed.Inference.Llama;

/// <summary>The GGUF's own tokenizer, run by llama.cpp: special-token text maps to its id, no BOS is added, and
/// decoding concatenates token bytes before UTF-8, so a character split across tokens decodes whole.</summary>
public sealed class LlamaTokenText(SafeLlamaModelHandle model) : ITokenText
{
    private readonly Dictionary<string, int?> _added = new();

    public IReadOnlyList<int> Encode(string text) =>
        model.Tokenize(text, addBos: false, special: true, Encoding.UTF8).Select(t => (int)t).ToArray();

    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        Span<byte> piece = stackalloc byte[256];
        foreach (var id in ids)
        {
            int n = (int)model.TokenToSpan(id, piece, special: true);
            if (n > piece.Length)
            {
                var big = new byte[n];
                model.TokenToSpan(id, big, special: true);
                bytes.AddRange(big);
            }
            else bytes.AddRange(piece[..n]);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    /// <summary>An added token is one that the tokenizer turns into exactly one id that decodes back to the same text.</summary>
    public bool TryGetAddedToken(string text, out int id)
    {
        lock (_added)
        {
            if (!_added.TryGetValue(text, out var found))
            {
                var ids = Encode(text);
                found = ids.Count == 1 && Decode(ids) == text ? ids[0] : null;
                _added[text] = found;
            }
            id = found ?? -1;
            return found is not null;
        }
    }
}
