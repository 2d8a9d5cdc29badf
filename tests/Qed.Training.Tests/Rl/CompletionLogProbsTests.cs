using System.Text.Json.Nodes;
using Qed.Testing;
using Qed.Training.Rl;

namespace Qed.Training.Tests.Rl;

/// <summary>Log-prob parsing from recorded replies in vLLM's formats (servers started with --return-tokens-as-token-ids).</summary>
public class CompletionLogProbsTests
{
    private static JsonNode? Fixture(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(RepoPaths.Fixtures, "rl", name)));

    [Fact]
    public void Completions_reply_gives_token_ids_log_probs_and_finish_reasons_in_index_order()
    {
        var choices = CompletionLogProbs.ParseReply(Fixture("vllm-completions.json"));
        choices.Should().HaveCount(2);
        choices[0].Ok.Should().BeTrue();
        choices[0].TokenIds.Should().Equal(3, 10, 4);
        choices[0].LogProbs.Should().Equal(-2.5f, -0.125f, -3.0f);
        choices[0].FinishReason.Should().Be("length");
        choices[1].TokenIds.Should().Equal(7, 15);
        choices[1].LogProbs[0].Should().BeApproximately(-0.0821f, 1e-6f);
        choices[1].FinishReason.Should().Be("stop");
    }

    [Fact]
    public void Chat_reply_gives_token_ids_from_the_content_entries()
    {
        var choice = CompletionLogProbs.ParseReply(Fixture("vllm-chat.json")).Single();
        choice.Ok.Should().BeTrue();
        choice.TokenIds.Should().Equal(39, 220, 22, 151645);
        choice.LogProbs.Should().Equal(-0.5f, -0.03125f, -1.75f, 0f);
    }

    [Fact]
    public void Tokens_as_text_are_unparsable_with_a_reason_never_an_empty_completion()
    {
        var choice = CompletionLogProbs.ParseReply(Fixture("vllm-text-tokens.json")).Single();
        choice.Ok.Should().BeFalse();
        choice.Error.Should().Contain("return-tokens-as-token-ids");
        CompletionLogProbs.ParseChoice(JsonNode.Parse("""{"index":0,"text":"x","finish_reason":"stop"}""")).Error.Should().Contain("no 'logprobs'");
        CompletionLogProbs.ParseReply(JsonNode.Parse("""{"error":{"message":"boom"}}""")).Single().Ok.Should().BeFalse();
        CompletionLogProbs.TokenId("token_id:151645").Should().Be(151645);
        CompletionLogProbs.TokenId("token_id:-1").Should().BeNull();
        CompletionLogProbs.TokenId("151645").Should().BeNull();
    }
}
