using System.Text.Json;
using Qed.Inference.Tokenization;
using Qed.Testing;

namespace Qed.Inference.Tests.Tokenization;

public sealed class Qwen3TokenizerTests
{
    private const string Tokenizer = "models/qwen3-tokenizer/tokenizer.json";
    private const string Vectors = "models/qwen3-tokenizer/vectors.jsonl";

    // Loading the 11 MB tokenizer.json takes a moment; share one instance across the theory's rows.
    private static readonly Lazy<Qwen3Tokenizer> Shared = new(() => Qwen3Tokenizer.Load(SharedData.PathOf(Tokenizer)));

    public static IEnumerable<object[]> VectorRows()
    {
        if (SharedData.MissingReason([Vectors]) is not null) yield break;
        int line = 0;
        foreach (var row in File.ReadLines(SharedData.PathOf(Vectors)))
        {
            line++;
            if (string.IsNullOrWhiteSpace(row)) continue;
            using var doc = JsonDocument.Parse(row);
            yield return [line, doc.RootElement.GetProperty("text").GetString()!,
                          doc.RootElement.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray()];
        }
    }

    [SharedDataTheory(Tokenizer, Vectors)]
    [MemberData(nameof(VectorRows))]
    public void Reproduces_the_reference_ids_and_decodes_back(int line, string text, int[] ids)
    {
        Shared.Value.Encode(text).Should().Equal(ids, $"vectors.jsonl line {line}");
        Shared.Value.Decode(ids).Should().Be(text);
    }

    [SharedDataFact(Tokenizer)]
    public void Special_token_text_maps_to_its_id()
    {
        var t = Shared.Value;
        t.TokenId("<|im_start|>").Should().Be(151644);
        t.TokenId("<|im_end|>").Should().Be(151645);
        var ids = t.Encode("<|im_start|>user\nHi<|im_end|>\n<think>\nok\n</think>");
        ids[0].Should().Be(151644);
        ids.Should().Contain([151645, t.TokenId("<think>"), t.TokenId("</think>")]);
        t.Decode(ids).Should().Be("<|im_start|>user\nHi<|im_end|>\n<think>\nok\n</think>");
        t.VocabularySize.Should().Be(151669);
    }

    [Fact]
    public void Missing_file_says_what_to_pass()
    {
        var act = () => Qwen3Tokenizer.Load("/nonexistent/dir");
        act.Should().Throw<QedException>().WithMessage("*tokenizer.json not found*");
    }
}
