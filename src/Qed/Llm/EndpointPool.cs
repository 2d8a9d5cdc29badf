namespace Qed.Llm;

/// <summary>
/// The base URLs of one model config. Each endpoint takes at most <c>concurrent_requests</c> requests at
/// once; a request goes to the least-loaded healthy endpoint; an endpoint that failed to connect or
/// answered 5xx sits out a short cooldown unless every endpoint is cooling down.
/// </summary>
public sealed class EndpointPool
{
    public sealed class Endpoint(string baseUrl)
    {
        public string BaseUrl { get; } = baseUrl.TrimEnd('/');
        internal int InFlight;
        internal long CooldownUntilTicks;
        public int Load => Volatile.Read(ref InFlight);
    }

    private readonly Endpoint[] _endpoints;
    private readonly int _perEndpoint;
    private readonly SemaphoreSlim _slots;
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(10);

    public EndpointPool(IReadOnlyList<string> baseUrls, int perEndpoint, TimeProvider? time = null)
    {
        if (baseUrls.Count == 0) throw new ArgumentException("at least one base URL", nameof(baseUrls));
        _endpoints = baseUrls.Select(u => new Endpoint(u)).ToArray();
        _perEndpoint = Math.Max(1, perEndpoint);
        _slots = new SemaphoreSlim(_perEndpoint * _endpoints.Length);
        _time = time ?? TimeProvider.System;
    }

    public IReadOnlyList<Endpoint> Endpoints => _endpoints;

    /// <summary>Waits for a free slot, then leases the least-loaded healthy endpoint.</summary>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            var now = _time.GetUtcNow().UtcTicks;
            Endpoint? best = null;
            foreach (var healthyOnly in new[] { true, false })
            {
                foreach (var e in _endpoints)
                {
                    if (e.InFlight >= _perEndpoint) continue;
                    if (healthyOnly && e.CooldownUntilTicks > now) continue;
                    if (best is null || e.InFlight < best.InFlight) best = e;
                }
                if (best is not null) break;
            }
            // The semaphore guarantees a free slot somewhere.
            best ??= _endpoints.MinBy(e => e.InFlight)!;
            best.InFlight++;
            return new Lease(this, best);
        }
    }

    private void Release(Endpoint e)
    {
        lock (_gate) e.InFlight--;
        _slots.Release();
    }

    public readonly struct Lease(EndpointPool pool, Endpoint endpoint) : IDisposable
    {
        public Endpoint Endpoint { get; } = endpoint;
        public void MarkUnhealthy() => Interlocked.Exchange(ref Endpoint.CooldownUntilTicks, (pool._time.GetUtcNow() + pool.Cooldown).UtcTicks);
        public void MarkHealthy() => Interlocked.Exchange(ref Endpoint.CooldownUntilTicks, 0);
        public void Dispose() => pool.Release(Endpoint);
    }
}
