using Qed.Inference.Chat;
using Qed.Inference.Tokenization;

namespace Qed.Training.Data;

/// <summary>
/// A tokenised training sequence. <see cref="Targets"/>[i] says whether token i is trained on (predicted from
/// the tokens before it): true exactly for the final assistant turn after its generation prompt, through its
/// closing &lt;|im_end|&gt;.
/// </summary>
public sealed record SftExample(int[] TokenIds, bool[] Targets, string Source)
{
    public int Length => TokenIds.Length;
    public int TargetCount => Targets.Count(t => t);
}

/// <summary>
/// Renders conversations with the Qwen3 chat template and tokenises them into <see cref="SftExample"/>s.
/// The prompt (everything up to and including the template's generation prompt, which for Thinking-2507 ends in
/// <c>&lt;think&gt;\n</c>) and the completion are tokenised separately, exactly as the model will see them at
/// generation time, and only completion tokens are targets.
/// </summary>
public sealed class SftExampleRenderer(Qwen3Tokenizer tokenizer, Qwen3ChatTemplate template)
{
    private const string AssistantOpen = "<|im_start|>assistant\n";

    /// <param name="maxLength">longer sequences are cut at the end (their tail is not trained on)</param>
    public SftExample Render(SftConversation conversation, int maxLength)
    {
        var turns = conversation.Turns;
        var full = template.Render(turns, addGenerationPrompt: false);
        if (full.EndsWith('\n')) full = full[..^1];  // the sequence ends at <|im_end|>, where generation stops

        var generationPrompt = template.Render(turns.Take(turns.Count - 1).ToList(), addGenerationPrompt: true);
        int split;
        if (full.StartsWith(generationPrompt, StringComparison.Ordinal)) split = generationPrompt.Length;
        else
        {
            // e.g. an assistant turn without reasoning under the Thinking-2507 template: train from the turn's start.
            int open = full.LastIndexOf(AssistantOpen, StringComparison.Ordinal);
            if (open < 0) throw new QedException($"{conversation.Source}: the rendered conversation has no assistant turn");
            split = open + AssistantOpen.Length;
        }

        var prompt = tokenizer.Encode(full[..split]);
        var completion = tokenizer.Encode(full[split..]);
        int length = Math.Min(maxLength, prompt.Count + completion.Count);
        var ids = new int[length];
        var targets = new bool[length];
        for (int i = 0; i < length; i++)
        {
            bool inCompletion = i >= prompt.Count;
            ids[i] = inCompletion ? completion[i - prompt.Count] : prompt[i];
            targets[i] = inCompletion;
        }
        return new SftExample(ids, targets, conversation.Source);
    }
}
