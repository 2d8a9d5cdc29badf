using Microsoft.Extensions.AI;

namespace Qed.Llm;

/// <summary>How often and how long to retry a transient failure.</summary>
public sealed record RetryPolicy(int MaxRetries, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    public static RetryPolicy Default { get; } = new(5, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));

    /// <summary>Connection failures get few, short retries, so a dead endpoint is reported within seconds.</summary>
    public int MaxConnectionRetries { get; init; } = 2;
    /// <summary>The longest Retry-After we honour; longer ones are capped.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Retries transient failures (<see cref="ChatEndpointException.IsTransient"/>): 429 after the server's
/// Retry-After, everything else after a capped exponential backoff with full jitter. Decides only on the
/// typed <see cref="EndpointFailure"/>, never on message text; bounded by <see cref="RetryPolicy"/>.
/// </summary>
public sealed class RetryingChatClient(IChatClient inner, RetryPolicy policy, TimeProvider? time = null) : DelegatingChatClient(inner)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
            }
            catch (ChatEndpointException e) when (e.IsTransient && attempt < Allowed(e) && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(DelayFor(e, attempt), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private int Allowed(ChatEndpointException e) =>
        e.Failure == EndpointFailure.ConnectionFailed ? Math.Min(policy.MaxRetries, policy.MaxConnectionRetries) : policy.MaxRetries;

    /// <summary>Retry-After when the server gave one (capped), else min(max, base·2^attempt) scaled by a random factor in [0.5, 1].</summary>
    public TimeSpan DelayFor(ChatEndpointException e, int attempt)
    {
        if (e.RetryAfter is { } after) return after < policy.MaxRetryAfter ? after : policy.MaxRetryAfter;
        var baseDelay = e.Failure == EndpointFailure.ConnectionFailed ? policy.BaseDelay / 2 : policy.BaseDelay;
        var exp = Math.Min(policy.MaxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, attempt));
        return TimeSpan.FromMilliseconds(exp * (0.5 + 0.5 * Random.Shared.NextDouble()));
    }
}

/// <summary>
/// When the endpoint says prompt + max_tokens exceed the context (<see cref="EndpointFailure.ContextOverflow"/>),
/// halves max_tokens and tries again, down to a floor; a bounded number of times.
/// </summary>
public sealed class ContextOverflowChatClient(IChatClient inner, int? defaultMaxTokens, int floor = 512, int maxShrinks = 4)
    : DelegatingChatClient(inner)
{
    public const string ShrunkMaxTokensKey = "qed.max_tokens_shrunk_to";

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var current = options;
        for (var shrinks = 0; ; shrinks++)
        {
            try
            {
                var response = await base.GetResponseAsync(list, current, cancellationToken).ConfigureAwait(false);
                if (shrinks > 0) (response.AdditionalProperties ??= [])[ShrunkMaxTokensKey] = current?.MaxOutputTokens;
                return response;
            }
            catch (ChatEndpointException e) when (e.Failure == EndpointFailure.ContextOverflow && shrinks < maxShrinks)
            {
                var max = current?.MaxOutputTokens ?? defaultMaxTokens;
                if (max is null || max <= floor) throw;
                current = current?.Clone() ?? new ChatOptions();
                current.MaxOutputTokens = Math.Max(floor, max.Value / 2);
            }
        }
    }
}

/// <summary>Caps requests in flight across every client sharing the same <see cref="GlobalRequestLimit"/>.</summary>
public sealed class ConcurrencyLimitingChatClient(IChatClient inner, GlobalRequestLimit limit) : DelegatingChatClient(inner)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        await limit.Semaphore.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false); }
        finally { limit.Semaphore.Release(); }
    }
}

/// <summary>The process-wide cap on requests in flight, shared by all clients of one factory.</summary>
public sealed class GlobalRequestLimit(int maxInFlight)
{
    public int MaxInFlight { get; } = maxInFlight;
    internal SemaphoreSlim Semaphore { get; } = new(maxInFlight, maxInFlight);
    public int InFlight => MaxInFlight - Semaphore.CurrentCount;
}
