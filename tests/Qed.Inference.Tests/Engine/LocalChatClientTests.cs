using Microsoft.Extensions.AI;
using Qed.Inference.Engine;

namespace Qed.Inference.Tests.Engine;

public sealed class LocalChatClientTests(TinyModel tiny) : IClassFixture<TinyModel>
{
    private static readonly ChatMessage[] Question = [new(ChatRole.User, "prove the claim")];

    [Fact]
    public async Task Greedy_answer_is_the_argmax_continuation_with_usage()
    {
        using var client = new LocalChatClient(tiny.Model, ownsModel: false);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 8 };
        var response = await client.GetResponseAsync(Question, options);

        // The same tokens, by hand: render, tokenize, run the decoder greedily.
        var request = client.BuildRequest(Question, options);
        request.StartsInReasoning.Should().BeTrue("the Thinking-2507 template opens <think>");
        using var cache = tiny.Model.Decoder.NewCache();
        var logits = tiny.Model.Decoder.Forward(cache, request.PromptTokens.ToArray(), default);
        var tokens = new List<int>();
        for (int i = 0; i < 8; i++)
        {
            int next = TokenSampler.ArgMax(logits);
            if (tiny.Model.StopTokenIds.Contains(next)) break;
            tokens.Add(next);
            logits = tiny.Model.Decoder.Forward(cache, [next], default);
        }

        var produced = response.Messages[0].Contents.OfType<TextReasoningContent>().Select(r => r.Text)
            .Concat(response.Messages[0].Contents.OfType<TextContent>().Select(t => t.Text));
        var think = tiny.Model.Tokenizer.TokenId("</think>");
        string.Concat(produced).Should().Be(tiny.Model.Tokenizer.Decode(tokens.Where(t => t != think)).Replace("</think>", ""));
        response.Usage!.InputTokenCount.Should().Be(request.PromptTokens.Count);
        response.Usage.OutputTokenCount.Should().Be(tokens.Count == 8 ? 8 : tokens.Count + 1);
        response.FinishReason.Should().Be(tokens.Count == 8 ? ChatFinishReason.Length : ChatFinishReason.Stop);
        response.ModelId.Should().Be("tiny");
    }

    [Fact]
    public async Task Seeded_sampling_is_reproducible_and_the_seed_matters()
    {
        using var client = new LocalChatClient(tiny.Model, ownsModel: false);
        ChatOptions Seeded(long seed) => new() { Temperature = 1.0f, TopP = 0.95f, TopK = 50, Seed = seed, MaxOutputTokens = 16 };
        var a = await client.GetResponseAsync(Question, Seeded(1));
        var b = await client.GetResponseAsync(Question, Seeded(1));
        var c = await client.GetResponseAsync(Question, Seeded(2));
        Text(a).Should().Be(Text(b));
        Text(a).Should().NotBe(Text(c));
    }

    [Fact]
    public async Task Concurrent_requests_return_what_each_returns_alone()
    {
        using var client = new LocalChatClient(tiny.Model, ownsModel: false);
        var requests = Enumerable.Range(0, 4).Select(i => (
            Messages: new[] { new ChatMessage(ChatRole.User, $"problem number {i}") },
            Options: new ChatOptions { Temperature = i == 0 ? 0 : 0.8f, Seed = 100 + i, MaxOutputTokens = 12 })).ToList();
        var alone = new List<string>();
        foreach (var r in requests) alone.Add(Text(await client.GetResponseAsync(r.Messages, r.Options)));
        var together = await Task.WhenAll(requests.Select(r => Task.Run(() => client.GetResponseAsync(r.Messages, r.Options))));
        together.Select(Text).Should().Equal(alone);
    }

    [Fact]
    public async Task Streaming_updates_add_up_to_the_response_and_end_with_usage()
    {
        using var client = new LocalChatClient(tiny.Model, ownsModel: false);
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 10 };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Question, options)) updates.Add(u);
        updates.Count.Should().BeGreaterThan(1);
        updates[^1].FinishReason.Should().NotBeNull();
        updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount.Should().BeGreaterThan(0);
        var whole = await client.GetResponseAsync(Question, options);
        string.Concat(updates.SelectMany(u => u.Contents).Where(c => c is TextContent or TextReasoningContent)
            .Select(c => c is TextContent t ? t.Text : ((TextReasoningContent)c).Text))
            .Should().Be(string.Concat(whole.Messages[0].Contents.Select(c => c is TextContent t ? t.Text : c is TextReasoningContent r ? r.Text : "")));
    }

    [Fact]
    public async Task Cancellation_stops_generation()
    {
        using var client = new LocalChatClient(tiny.Model, ownsModel: false);
        using var cts = new CancellationTokenSource();
        var act = async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Question, new ChatOptions { MaxOutputTokens = 100_000 }, cts.Token))
                cts.Cancel();
        };
        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    private static string Text(ChatResponse r) =>
        string.Concat(r.Messages[0].Contents.Select(c => c switch { TextReasoningContent x => "R:" + x.Text, TextContent t => "C:" + t.Text, _ => "" }));
}
