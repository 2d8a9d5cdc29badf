using Qed.Inference.Engine;
using Qed.Inference.Tokenization;
using Qed.Testing;

namespace Qed.Inference.Tests.Engine;

public sealed class TokenOutputTests
{
    private static readonly Qwen3Tokenizer Tokenizer = Qwen3Tokenizer.Load(TinyModel.TokenizerFixture);
    private static readonly HashSet<int> Stops = [Tokenizer.TokenId("<|im_end|>")];

    private static List<GenerationChunk> Run(string generated, bool startsInReasoning, params string[] stops)
    {
        var output = new TokenOutput(Tokenizer, Stops, stops, startsInReasoning);
        var chunks = new List<GenerationChunk>();
        var ids = Tokenizer.Encode(generated);
        foreach (var id in ids) chunks.AddRange(output.Push(id));
        chunks.AddRange(output.Finish(3, ids.Count));
        return chunks;
    }

    private static string Channel(List<GenerationChunk> chunks, OutputChannel channel) =>
        string.Concat(chunks.Where(c => c.Channel == channel).Select(c => c.Text));

    [Fact]
    public void Reasoning_is_split_from_the_answer_at_the_think_closer()
    {
        var chunks = Run("first try x then y</think>\n\nthe answer is z<|im_end|>ignored", startsInReasoning: true);
        Channel(chunks, OutputChannel.Reasoning).Should().Be("first try x then y");
        Channel(chunks, OutputChannel.Content).Should().Be("the answer is z");
        chunks[^1].Finish.Should().Be(GenerationFinish.Stop);
    }

    [Fact]
    public void A_think_opener_at_the_start_switches_to_reasoning()
    {
        var chunks = Run("<think>hmm</think>ok", startsInReasoning: false);
        Channel(chunks, OutputChannel.Reasoning).Should().Be("hmm");
        Channel(chunks, OutputChannel.Content).Should().Be("ok");
        chunks[^1].Finish.Should().Be(GenerationFinish.Length);
    }

    [Fact]
    public void Stop_sequences_cut_the_text_even_across_tokens()
    {
        var chunks = Run("abc QED and more", startsInReasoning: false, "QED", "never");
        Channel(chunks, OutputChannel.Content).Should().Be("abc ");
        chunks[^1].Finish.Should().Be(GenerationFinish.Stop);
    }

    [Fact]
    public void Multibyte_characters_are_never_split()
    {
        var chunks = Run("é∑🧮 done", startsInReasoning: false);
        chunks.Should().NotContain(c => c.Text.Contains('\uFFFD'));
        Channel(chunks, OutputChannel.Content).Should().Be("é∑🧮 done");
    }
}
