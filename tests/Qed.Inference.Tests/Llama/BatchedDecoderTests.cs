using Microsoft.Extensions.AI;
using Qed.Inference.Engine;
using Qed.Inference.Llama;

namespace Qed.Inference.Tests.Llama;

/// <summary>One llama.cpp context shared by concurrent requests: same tokens as alone, prefixes shared, cancellation local.</summary>
public sealed class BatchedDecoderTests(TinyGguf tiny) : IClassFixture<TinyGguf>
{
    private static readonly string[] Problems =
    [
        "prove that the sum of two odd numbers is even",
        "show there are infinitely many primes",
        "find all real x with x squared equal to two",
        "a triangle has angles summing to half a turn",
        "let n be a positive integer and consider n plus one",
        "the quick brown fox jumps over the lazy dog",
        "every finite group of prime order is cyclic",
        "compute the number of subsets of a set of size ten",
    ];

    private LlamaModel Open(LlamaOptions? options = null) =>
        LlamaModel.Open(tiny.File, "tiny", options ?? new LlamaOptions { Context = 2048, MaxSequences = 8, Threads = 1 });

    private static GenerationRequest Request(LocalChatClient client, string text, int maxTokens = 24, SamplingOptions? sampling = null) =>
        client.BuildRequest([new ChatMessage(ChatRole.User, text)], new ChatOptions { MaxOutputTokens = maxTokens, Temperature = 0 }) with
        {
            Sampling = sampling ?? SamplingOptions.Greedy,
        };

    private static async Task<(string Text, GenerationChunk Last)> RunAsync(ILocalEngine engine, GenerationRequest request, CancellationToken ct = default)
    {
        var text = new System.Text.StringBuilder();
        GenerationChunk? last = null;
        await foreach (var chunk in engine.GenerateAsync(request, ct)) { text.Append(chunk.Text); last = chunk; }
        return (text.ToString(), last!);
    }

    [Fact]
    public async Task Eight_concurrent_greedy_requests_give_the_tokens_of_eight_sequential_ones()
    {
        string[] sequential;
        using (var model = Open(new LlamaOptions { Context = 2048, MaxSequences = 1, Threads = 1, PrefixSharing = false }))
        {
            using var client = new LocalChatClient(model, ownsModel: false);
            sequential = new string[Problems.Length];
            for (int i = 0; i < Problems.Length; i++) sequential[i] = (await RunAsync(model, Request(client, Problems[i]))).Text;
        }
        sequential.Distinct().Count().Should().BeGreaterThan(4, "different prompts must lead to different outputs");

        using var shared = Open();
        using var batchedClient = new LocalChatClient(shared, ownsModel: false);
        var batched = await Task.WhenAll(Problems.Select(p => Task.Run(async () => (await RunAsync(shared, Request(batchedClient, p))).Text)));
        batched.Should().Equal(sequential);
        var stats = shared.Decoder.Statistics;
        stats.GeneratedTokens.Should().BeGreaterThan(Problems.Length);
        stats.Steps.Should().BeLessThan(stats.GeneratedTokens, "sequences must have shared decode steps");
    }

    [Fact]
    public async Task Seeded_sampling_is_reproducible_under_batching()
    {
        using var model = Open();
        using var client = new LocalChatClient(model, ownsModel: false);
        var sampling = new SamplingOptions { Temperature = 0.9f, TopP = 0.95f, TopK = 50, MinP = 0.02f, Seed = 11 };
        var alone = (await RunAsync(model, Request(client, Problems[0], 32, sampling))).Text;
        var together = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(async () =>
            (await RunAsync(model, Request(client, i % 2 == 0 ? Problems[0] : Problems[i], 32, i % 2 == 0 ? sampling : sampling with { Seed = i }))).Text)));
        together[0].Should().Be(alone);
        together[2].Should().Be(alone);
        together[4].Should().Be(alone);
        var other = (await RunAsync(model, Request(client, Problems[0], 32, sampling with { Seed = 12 }))).Text;
        other.Should().NotBe(alone, "another seed draws other tokens");
    }

    [Fact]
    public async Task Eight_candidates_of_one_prompt_prefill_it_once_and_give_the_tokens_of_no_sharing()
    {
        var prompt = string.Join(" and ", Problems);
        string[] withoutSharing;
        using (var model = Open(new LlamaOptions { Context = 4096, MaxSequences = 8, Threads = 1, PrefixSharing = false }))
        {
            using var client = new LocalChatClient(model, ownsModel: false);
            withoutSharing = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
                (await RunAsync(model, Request(client, prompt, 16, new SamplingOptions { Temperature = 1, Seed = i })))
                .Text)));
            model.Decoder.Statistics.PrefillTokensSaved.Should().Be(0);
        }
        withoutSharing.Distinct().Count().Should().BeGreaterThan(1, "seeds differ, so candidates differ");

        using var shared = Open(new LlamaOptions { Context = 4096, MaxSequences = 8, Threads = 1 });
        using var sharedClient = new LocalChatClient(shared, ownsModel: false);
        var promptTokens = Request(sharedClient, prompt).PromptTokens.Count;
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
            await RunAsync(shared, Request(sharedClient, prompt, 16, new SamplingOptions { Temperature = 1, Seed = i })))));
        results.Select(r => r.Text).Should().Equal(withoutSharing);
        var stats = shared.Decoder.Statistics;
        stats.PrefillTokensSaved.Should().Be(7L * (promptTokens - 1), "seven candidates copy all but the last prompt token");
        stats.PrefillTokens.Should().Be(promptTokens + 7, "the prompt is prefilled once, plus each candidate's last prompt token");
        results.Sum(r => r.Last.CachedPromptTokens).Should().Be(7 * (promptTokens - 1));
    }

    [Fact]
    public async Task A_later_round_that_repeats_an_earlier_prompt_and_answer_prefills_only_what_is_new()
    {
        using var model = Open();
        using var client = new LocalChatClient(model, ownsModel: false);
        var first = client.BuildRequest([new ChatMessage(ChatRole.User, Problems[0])], new ChatOptions { MaxOutputTokens = 12, Temperature = 0 });
        var (answer, _) = await RunAsync(model, first);
        var before = model.Decoder.Statistics.PrefillTokensSaved;
        var second = client.BuildRequest([new ChatMessage(ChatRole.User, Problems[0]), new ChatMessage(ChatRole.Assistant, answer),
            new ChatMessage(ChatRole.User, "now check it")], new ChatOptions { MaxOutputTokens = 8, Temperature = 0 });
        var (_, last) = await RunAsync(model, second);
        // The template re-renders the first answer without its reasoning, so the shared part ends where the first
        // prompt's generation prompt began.
        int common = first.PromptTokens.Zip(second.PromptTokens).TakeWhile(p => p.First == p.Second).Count();
        common.Should().BeGreaterThan(first.PromptTokens.Count / 2);
        (model.Decoder.Statistics.PrefillTokensSaved - before).Should().BeGreaterThanOrEqualTo(common);
        last.CachedPromptTokens.Should().BeGreaterThanOrEqualTo(common);
    }

    [Fact]
    public async Task Cancelling_one_request_mid_batch_leaves_the_others_running()
    {
        using var model = Open();
        using var client = new LocalChatClient(model, ownsModel: false);
        string expected = (await RunAsync(model, Request(client, Problems[1], 48))).Text;

        using var cts = new CancellationTokenSource();
        var victimStarted = new TaskCompletionSource();
        var victim = Task.Run(async () =>
        {
            await foreach (var _ in model.GenerateAsync(Request(client, Problems[0], 4000), cts.Token)) victimStarted.TrySetResult();
        });
        var others = Enumerable.Range(0, 3).Select(_ => Task.Run(async () => (await RunAsync(model, Request(client, Problems[1], 48))).Text)).ToArray();
        await victimStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        cts.Cancel();
        await FluentActions.Awaiting(() => victim).Should().ThrowAsync<OperationCanceledException>();
        (await Task.WhenAll(others)).Should().AllBe(expected);
        // The cancelled sequence left the batch: nothing is running once the others are done.
        model.Decoder.Statistics.Active.Should().Be(0);
    }

    [Fact]
    public async Task Requests_beyond_max_sequences_queue_and_all_finish()
    {
        using var model = Open(new LlamaOptions { Context = 2048, MaxSequences = 2, Threads = 1 });
        using var client = new LocalChatClient(model, ownsModel: false);
        var outputs = await Task.WhenAll(Problems.Select(p => Task.Run(async () => await RunAsync(model, Request(client, p, 8)))));
        outputs.Should().AllSatisfy(o => o.Last.Finish.Should().NotBeNull());
        outputs.Sum(o => o.Last.OutputTokens).Should().Be((int)model.Decoder.Statistics.GeneratedTokens);
    }

    [Fact]
    public async Task A_full_cache_preempts_and_resumes_without_changing_the_tokens()
    {
        string[] alone;
        using (var big = Open(new LlamaOptions { Context = 2048, MaxSequences = 1, Threads = 1, PrefixSharing = false }))
        {
            using var c = new LocalChatClient(big, ownsModel: false);
            alone = new string[4];
            for (int i = 0; i < 4; i++) alone[i] = (await RunAsync(big, Request(c, Problems[i], 40))).Text;
        }
        // 4 sequences of ~20 prompt + 40 output tokens do not fit in 160 cells together.
        using var small = Open(new LlamaOptions { Context = 160, MaxSequences = 4, Threads = 1, PrefixSharing = false, Batch = 64 });
        using var client = new LocalChatClient(small, ownsModel: false);
        var outputs = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () => (await RunAsync(small, Request(client, Problems[i], 40))).Text)));
        outputs.Should().Equal(alone);
        small.Decoder.Statistics.Preemptions.Should().BeGreaterThan(0);
    }
}
