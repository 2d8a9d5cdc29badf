using Qed.Inference.Chat;
using Qed.Inference.Tokenization;
using Qed.Training.Data;

namespace Qed.Training.Tests.Sft;

public class LossMaskingTests
{
    private static readonly Qwen3Tokenizer Tokenizer = Qwen3Tokenizer.Load(TinyModels.Tokenizer);

    private static SftConversation Proof() => new(
        [new ChatTurn("user", "Prove that 6 is even."), new ChatTurn("assistant", "6 = 2 * 3. QED.", "Six is twice three.")], "test");

    [Fact]
    public void Only_the_assistant_answer_after_the_generation_prompt_is_trained()
    {
        var example = new SftExampleRenderer(Tokenizer, new Qwen3ChatTemplate()).Render(Proof(), 1024);

        int firstTarget = Array.IndexOf(example.Targets, true);
        // Token by token: a prefix of non-targets, then only targets to the end.
        example.Targets.Take(firstTarget).Should().AllBeEquivalentTo(false);
        example.Targets.Skip(firstTarget).Should().AllBeEquivalentTo(true);

        var prompt = Tokenizer.Decode(example.TokenIds.Take(firstTarget));
        var completion = Tokenizer.Decode(example.TokenIds.Skip(firstTarget));
        prompt.Should().Be("<|im_start|>user\nProve that 6 is even.<|im_end|>\n<|im_start|>assistant\n<think>\n");
        completion.Should().Be("Six is twice three.\n</think>\n\n6 = 2 * 3. QED.<|im_end|>");
        example.TokenIds[^1].Should().Be(Tokenizer.TokenId("<|im_end|>"));
        // The prompt is tokenised exactly as at generation time.
        example.TokenIds.Take(firstTarget).Should().Equal(Tokenizer.Encode(prompt));
    }

    [Fact]
    public void Labels_are_the_next_token_exactly_where_it_is_a_target()
    {
        var renderer = new SftExampleRenderer(Tokenizer, new Qwen3ChatTemplate());
        var a = renderer.Render(Proof(), 1024);
        var b = renderer.Render(new SftConversation(
            [new ChatTurn("system", "Be brief."), new ChatTurn("user", "Prove 1 = 1."), new ChatTurn("assistant", "Reflexivity.", "Trivial.")], "b"), 1024);
        var batch = MicroBatch.FromRows([[a, b]], padId: 408);

        batch.Rows.Should().Be(1);
        batch.Columns.Should().Be(a.Length + b.Length);
        batch.NeedsMask.Should().BeTrue();
        var concatenated = a.TokenIds.Concat(b.TokenIds).ToArray();
        var targets = a.Targets.Concat(b.Targets).ToArray();
        for (int t = 0; t < batch.Columns; t++)
        {
            bool sameSample = t + 1 < batch.Columns && (t + 1 < a.Length) == (t < a.Length);
            long expected = sameSample && targets[t + 1] ? concatenated[t + 1] : MicroBatch.IgnoreLabel;
            batch.Labels[t].Should().Be(expected, $"position {t}");
            batch.Positions[t].Should().Be(t < a.Length ? t : t - a.Length);
        }
        batch.TargetCount.Should().Be(a.TargetCount + b.TargetCount - 0);
    }

    [Fact]
    public void Padding_is_never_a_target_and_attends_only_to_itself()
    {
        var renderer = new SftExampleRenderer(Tokenizer, new Qwen3ChatTemplate());
        var longer = renderer.Render(Proof(), 1024);
        var shorter = renderer.Render(Proof(), 20);
        shorter.Length.Should().Be(20, "sequences longer than max_seq_len are cut at the end");
        var batch = MicroBatch.FromRows([[longer], [shorter]], padId: 408);

        batch.Columns.Should().Be(longer.Length);
        for (int t = shorter.Length; t < batch.Columns; t++)
        {
            int at = batch.Columns + t;
            batch.TokenIds[at].Should().Be(408);
            batch.Labels[at].Should().Be(MicroBatch.IgnoreLabel);
        }
        batch.Segments.Skip(batch.Columns + shorter.Length).Should().OnlyHaveUniqueItems();
        batch.TokenCount.Should().Be(longer.Length + shorter.Length);
    }
}
