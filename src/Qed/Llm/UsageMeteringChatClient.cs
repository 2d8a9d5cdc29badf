using Microsoft.Extensions.AI;

namespace Qed.Llm;

/// <summary>Running totals of one model's usage (thread-safe).</summary>
public sealed class UsageMeter
{
    private long _requests, _input, _output;
    private long _microCents; // cost in 1e-8 USD, so it can be added atomically

    public long Requests => Interlocked.Read(ref _requests);
    public long InputTokens => Interlocked.Read(ref _input);
    public long OutputTokens => Interlocked.Read(ref _output);
    public double CostUsd => Interlocked.Read(ref _microCents) / 1e8;

    public void Add(long input, long output, double costUsd)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _input, input);
        Interlocked.Add(ref _output, output);
        Interlocked.Add(ref _microCents, (long)Math.Round(costUsd * 1e8));
    }
}

/// <summary>
/// Prices every reply with the config's read/write costs (USD per million tokens), stores the price on the
/// response (<see cref="ReplyFacts.CostUsd"/>) and adds usage and cost to a <see cref="UsageMeter"/>.
/// </summary>
public sealed class UsageMeteringChatClient(IChatClient inner, ModelPricing pricing, UsageMeter meter) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var input = response.Usage?.InputTokenCount ?? 0;
        var output = response.Usage?.OutputTokenCount ?? 0;
        var cost = pricing.CostOf(input, output);
        (response.AdditionalProperties ??= [])[ReplyFacts.CostKey] = cost;
        meter.Add(input, output, cost);
        return response;
    }
}

/// <summary>The <c>UseXxx</c> builder extensions of our delegating layers.</summary>
public static class ChatClientBuilderExtensions
{
    public static ChatClientBuilder UseRetry(this ChatClientBuilder builder, RetryPolicy policy, TimeProvider? time = null) =>
        builder.Use(inner => new RetryingChatClient(inner, policy, time));

    public static ChatClientBuilder UseContextOverflowShrink(this ChatClientBuilder builder, int? defaultMaxTokens, int floor = 512) =>
        builder.Use(inner => new ContextOverflowChatClient(inner, defaultMaxTokens, floor));

    public static ChatClientBuilder UseConcurrencyLimit(this ChatClientBuilder builder, GlobalRequestLimit limit) =>
        builder.Use(inner => new ConcurrencyLimitingChatClient(inner, limit));

    public static ChatClientBuilder UseUsageMetering(this ChatClientBuilder builder, ModelPricing pricing, UsageMeter meter) =>
        builder.Use(inner => new UsageMeteringChatClient(inner, pricing, meter));
}
