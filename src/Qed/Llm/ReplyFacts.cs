using Microsoft.Extensions.AI;

namespace Qed.Llm;

/// <summary>
/// What our clients add to a <see cref="ChatResponse"/> beyond Microsoft.Extensions.AI's own fields.
/// A reply cut at the token limit has <see cref="ChatFinishReason.Length"/>; if it was cut inside its
/// thinking, <see cref="ThinkingClosedKey"/> is false and the answer text is empty (the thinking is kept
/// as <see cref="TextReasoningContent"/>) — it is recorded as truncated, never as an empty proof.
/// </summary>
public static class ReplyFacts
{
    public const string ThinkingClosedKey = "qed.thinking_closed";
    public const string CostKey = "qed.cost_usd";
    public const string EndpointKey = "qed.endpoint";

    public static bool IsTruncated(this ChatResponse response) =>
        response.FinishReason == ChatFinishReason.Length || !response.ThinkingClosed();

    public static bool ThinkingClosed(this ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue(ThinkingClosedKey, out var v) != true || v is not false;

    /// <summary>The answer: text content of the last message, thinking excluded.</summary>
    public static string AnswerText(this ChatResponse response) =>
        response.Messages.Count == 0 ? "" : response.Messages[^1].Text;

    public static string? ReasoningText(this ChatResponse response)
    {
        var parts = response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text).ToList();
        return parts.Count == 0 ? null : string.Concat(parts);
    }

    public static double CostUsd(this ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue(CostKey, out var v) == true && v is double d ? d : 0;

    public static string? Endpoint(this ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue(EndpointKey, out var v) == true ? v as string : null;
}
