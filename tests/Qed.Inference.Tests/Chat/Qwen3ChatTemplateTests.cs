using System.Text.Json;
using Microsoft.Extensions.AI;
using Qed.Inference.Chat;
using Qed.Testing;

namespace Qed.Inference.Tests.Chat;

/// <summary>Our renderer against the Jinja template as rendered by @huggingface/jinja
/// (tools/chat-template-check/render.mjs wrote expected.json from conversations.json).</summary>
public sealed class Qwen3ChatTemplateTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "inference", "chat-template", name);

    public static IEnumerable<object?[]> Renderings()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(Fixture("expected.json")));
        foreach (var e in expected.RootElement.EnumerateArray())
            yield return [e.GetProperty("name").GetString(), e.GetProperty("variant").GetString(),
                          e.GetProperty("enable_thinking").ValueKind == JsonValueKind.False ? false : (bool?)null];
    }

    [Theory]
    [MemberData(nameof(Renderings))]
    public void Matches_the_reference_jinja_rendering(string name, string variant, bool? enableThinking)
    {
        using var conversations = JsonDocument.Parse(File.ReadAllText(Fixture("conversations.json")));
        using var expected = JsonDocument.Parse(File.ReadAllText(Fixture("expected.json")));
        var conversation = conversations.RootElement.EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var want = expected.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name
            && e.GetProperty("variant").GetString() == variant
            && (e.GetProperty("enable_thinking").ValueKind == JsonValueKind.False) == (enableThinking == false));

        var turns = conversation.GetProperty("messages").EnumerateArray().Select(m => new ChatTurn(
            m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!,
            m.TryGetProperty("reasoning_content", out var r) ? r.GetString() : null)).ToList();
        var template = new Qwen3ChatTemplate(variant == "hybrid" ? Qwen3TemplateVariant.Hybrid : Qwen3TemplateVariant.Thinking2507);

        template.Render(turns, conversation.GetProperty("add_generation_prompt").GetBoolean(), enableThinking)
            .Should().Be(want.GetProperty("rendered").GetString());
    }

    [Fact]
    public void Fixtures_cover_every_conversation_in_three_variants()
    {
        using var conversations = JsonDocument.Parse(File.ReadAllText(Fixture("conversations.json")));
        Renderings().Count().Should().Be(3 * conversations.RootElement.GetArrayLength());
    }

    [Fact]
    public void Thinking_2507_generation_prompt_opens_a_think_block()
    {
        var prompt = new Qwen3ChatTemplate().Render([new ChatTurn("user", "Prove it.")], addGenerationPrompt: true);
        prompt.Should().Be("<|im_start|>user\nProve it.<|im_end|>\n<|im_start|>assistant\n<think>\n");
    }

    [Fact]
    public void Reasoning_content_of_extensions_ai_messages_becomes_the_think_block()
    {
        var messages = new List<ChatMessage>
        {
            new(ChatRole.User, "Q"),
            new(ChatRole.Assistant, [new TextReasoningContent("because"), new TextContent("A")]),
        };
        var turns = Qwen3ChatTemplate.FromChatMessages(messages);
        turns[1].Should().Be(new ChatTurn("assistant", "A", "because"));
        new Qwen3ChatTemplate().Render(turns, addGenerationPrompt: false)
            .Should().Be("<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n<think>\nbecause\n</think>\n\nA<|im_end|>\n");
    }

    [Fact]
    public void Unknown_roles_are_rejected_with_the_message_index()
    {
        var act = () => new Qwen3ChatTemplate().Render([new ChatTurn("user", "a"), new ChatTurn("critic", "b")], true);
        act.Should().Throw<QedException>().WithMessage("message 1: role 'critic'*");
    }
}
