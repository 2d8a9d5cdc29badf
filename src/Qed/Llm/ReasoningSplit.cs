namespace Qed.Llm;

/// <summary>A reply separated into its thinking and its answer.</summary>
/// <param name="ThinkingClosed">false when the reply stopped inside its thinking: there is no answer at all.</param>
public sealed record ReplyParts(string Answer, string? Reasoning, bool ThinkingClosed);

/// <summary>
/// Separates thinking from answer. Reasoning comes from the endpoint's <c>reasoning_content</c> /
/// <c>reasoning</c> field when it sends one; otherwise the content is split at the LAST occurrence of any
/// configured delimiter (e.g. <c>&lt;/think&gt;</c>), because models sometimes quote the tag while thinking.
/// </summary>
public static class ReasoningSplit
{
    private const string OpenTag = "<think>";

    /// <param name="cutOffByLength">the endpoint stopped the reply at the token limit (finish_reason "length").</param>
    /// <param name="originalSplit">the original harness's reading (<c>--protocol qed-nano</c>): the first configured
    /// delimiter (in config order) that occurs is the one split at (its last occurrence); with delimiters configured,
    /// no reasoning field and none of them in the reply, the whole reply is thinking and the answer is empty.</param>
    public static ReplyParts Split(string? content, string? reasoningField, IReadOnlyList<string> delimiters, bool cutOffByLength,
        bool originalSplit = false)
    {
        content ??= "";
        var (answer, reasoningInContent, foundDelimiter) = originalSplit
            ? SplitAtLastDelimiter(content, delimiters.Where(d => !string.IsNullOrEmpty(d) && content.Contains(d, StringComparison.Ordinal)).Take(1).ToList())
            : SplitAtLastDelimiter(content, delimiters);

        if (!string.IsNullOrEmpty(reasoningField))
        {
            var reasoning = reasoningInContent is null ? reasoningField : reasoningField + reasoningInContent;
            // The endpoint separated the thinking; an empty answer after a length cut means it never finished thinking.
            var closed = !(cutOffByLength && string.IsNullOrWhiteSpace(answer));
            return new ReplyParts(answer, reasoning, closed);
        }
        if (delimiters.Count == 0) return new ReplyParts(content.Trim(), null, true);
        if (foundDelimiter) return new ReplyParts(answer, reasoningInContent, true);

        if (originalSplit) return new ReplyParts("", StripOpenTag(content), !cutOffByLength);

        // No closing delimiter: either the reply was cut inside its thinking, or the model did not think at all.
        var opened = content.TrimStart().StartsWith(OpenTag, StringComparison.Ordinal);
        if (cutOffByLength || opened)
            return new ReplyParts("", StripOpenTag(content), false);
        return new ReplyParts(content.Trim(), null, true);
    }

    private static (string Answer, string? Reasoning, bool Found) SplitAtLastDelimiter(string content, IReadOnlyList<string> delimiters)
    {
        int bestStart = -1, bestEnd = -1;
        foreach (var d in delimiters)
        {
            if (string.IsNullOrEmpty(d)) continue;
            var i = content.LastIndexOf(d, StringComparison.Ordinal);
            if (i >= 0 && i + d.Length > bestEnd)
            {
                bestStart = i;
                bestEnd = i + d.Length;
            }
        }
        if (bestStart < 0) return (content.Trim(), null, false);
        return (content[bestEnd..].Trim(), StripOpenTag(content[..bestStart]), true);
    }

    private static string StripOpenTag(string s)
    {
        var t = s.TrimStart();
        return (t.StartsWith(OpenTag, StringComparison.Ordinal) ? t[OpenTag.Length..] : s).Trim();
    }
}
