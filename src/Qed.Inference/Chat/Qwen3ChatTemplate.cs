using Microsoft.Extensions.AI;

namespace Qed.Inference.Chat;

/// <summary>One message as the chat template sees it; <see cref="ReasoningContent"/> is the text inside &lt;think&gt;.</summary>
public sealed record ChatTurn(string Role, string Content, string? ReasoningContent = null);

/// <summary>Which Qwen3 template: the hybrid one shipped with Qwen3-4B (thinking switchable with
/// <c>enable_thinking</c>) or the Thinking-2507 one, whose generation prompt always opens <c>&lt;think&gt;\n</c>.</summary>
public enum Qwen3TemplateVariant { Hybrid, Thinking2507 }

/// <summary>
/// Renders a conversation the way the Qwen3 Jinja chat template does (ChatML: <c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;\n</c>).
/// Reasoning of assistant turns is kept only after the last real user query (earlier turns lose their
/// &lt;think&gt; block); reasoning written inline as <c>&lt;think&gt;…&lt;/think&gt;</c> in the content is split out
/// first. Consecutive tool results are folded into one user turn of &lt;tool_response&gt; blocks. Checked against
/// @huggingface/jinja renderings in tests/fixtures/inference/chat-template. Tool definitions and assistant tool
/// calls are not supported (they throw).
/// </summary>
public sealed class Qwen3ChatTemplate(Qwen3TemplateVariant variant = Qwen3TemplateVariant.Thinking2507)
{
    private const string ToolResponseOpen = "<tool_response>", ToolResponseClose = "</tool_response>";

    public Qwen3TemplateVariant Variant { get; } = variant;

    /// <param name="enableThinking">Hybrid template only: false appends an empty think block to the generation prompt.</param>
    public string Render(IReadOnlyList<ChatTurn> messages, bool addGenerationPrompt, bool? enableThinking = null)
    {
        if (messages.Count == 0) throw new QedException("a chat needs at least one message");
        var sb = new System.Text.StringBuilder();
        if (messages[0].Role == "system") sb.Append("<|im_start|>system\n").Append(messages[0].Content).Append("<|im_end|>\n");

        int lastQuery = messages.Count - 1;
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            var c = messages[i].Content;
            if (messages[i].Role == "user" && !(c.StartsWith(ToolResponseOpen, StringComparison.Ordinal) && c.EndsWith(ToolResponseClose, StringComparison.Ordinal)))
            {
                lastQuery = i;
                break;
            }
        }

        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            bool last = i == messages.Count - 1;
            switch (m.Role)
            {
                case "user":
                case "system" when i > 0:
                    sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
                    break;
                case "system":
                    break;
                case "assistant":
                    var (reasoning, content) = SplitReasoning(m);
                    if (i > lastQuery && (last || reasoning.Length > 0))
                        sb.Append("<|im_start|>assistant\n<think>\n").Append(reasoning.Trim('\n')).Append("\n</think>\n\n").Append(content.TrimStart('\n'));
                    else
                        sb.Append("<|im_start|>assistant\n").Append(content);
                    sb.Append("<|im_end|>\n");
                    break;
                case "tool":
                    if (i == 0 || messages[i - 1].Role != "tool") sb.Append("<|im_start|>user");
                    sb.Append('\n').Append(ToolResponseOpen).Append('\n').Append(m.Content).Append('\n').Append(ToolResponseClose);
                    if (last || messages[i + 1].Role != "tool") sb.Append("<|im_end|>\n");
                    break;
                default:
                    throw new QedException($"message {i}: role '{m.Role}' is not one of system, user, assistant, tool");
            }
        }

        if (addGenerationPrompt)
        {
            sb.Append("<|im_start|>assistant\n");
            if (Variant == Qwen3TemplateVariant.Thinking2507) sb.Append("<think>\n");
            else if (enableThinking == false) sb.Append("<think>\n\n</think>\n\n");
        }
        return sb.ToString();
    }

    /// <summary>Reasoning and answer of an assistant turn: its reasoning_content when given, else the text
    /// around the last &lt;/think&gt; (leading newlines of the answer and trailing ones of the reasoning dropped).</summary>
    public static (string Reasoning, string Content) SplitReasoning(ChatTurn m)
    {
        if (m.ReasoningContent is not null) return (m.ReasoningContent, m.Content);
        const string close = "</think>";
        int lastClose = m.Content.LastIndexOf(close, StringComparison.Ordinal);
        if (lastClose < 0) return ("", m.Content);
        var content = m.Content[(lastClose + close.Length)..].TrimStart('\n');
        var before = m.Content[..m.Content.IndexOf(close, StringComparison.Ordinal)].TrimEnd('\n');
        int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
        var reasoning = (open < 0 ? before : before[(open + "<think>".Length)..]).TrimStart('\n');
        return (reasoning, content);
    }

    /// <summary>Maps Microsoft.Extensions.AI messages: text parts form the content, <see cref="TextReasoningContent"/>
    /// parts the reasoning.</summary>
    public static IReadOnlyList<ChatTurn> FromChatMessages(IEnumerable<ChatMessage> messages)
    {
        var turns = new List<ChatTurn>();
        foreach (var m in messages)
        {
            if (m.Contents.Any(c => c is FunctionCallContent or FunctionResultContent && m.Role != ChatRole.Tool))
                throw new QedException("tool calls are not supported by the local engine's chat template yet");
            var text = string.Concat(m.Contents.OfType<TextContent>().Select(t => t.Text));
            if (m.Role == ChatRole.Tool)
                text += string.Concat(m.Contents.OfType<FunctionResultContent>().Select(r => r.Result?.ToString()));
            var reasoningParts = m.Contents.OfType<TextReasoningContent>().Select(r => r.Text).ToList();
            turns.Add(new ChatTurn(m.Role.Value, text, reasoningParts.Count > 0 ? string.Concat(reasoningParts) : null));
        }
        return turns;
    }
}
