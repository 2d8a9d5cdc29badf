using System.Diagnostics;
using System.Globalization;

namespace Qed.Runs;

/// <summary>
/// Leases on work in the run store, so that several processes on one store (two <c>qed eval … --db same.db</c>
/// started at once) send each request once in total. A sample, a scaffold step or a grade is claimed before it is
/// requested; the holder renews its leases while it works and releases them when done. A crashed holder's claims
/// are taken over when their lease expires, or at once when the holder was a process on this machine that no
/// longer exists.
/// </summary>
public sealed class WorkClaims : IAsyncDisposable
{
    /// <summary>How long a claim lasts without renewal; renewed every third of it.</summary>
    public static readonly TimeSpan DefaultLease = TimeSpan.FromSeconds(60);

    private readonly RunStore _store;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private Task? _renewing;
    private int _disposed;

    /// <summary>Who claims: <c>host/pid/process-start-ticks/random</c>; the first three let a successor on the same
    /// machine see that the holder is gone.</summary>
    public string Holder { get; }
    public TimeSpan Lease { get; }
    /// <summary>How often a process waiting for someone else's work looks again.</summary>
    public TimeSpan PollInterval { get; }

    public WorkClaims(RunStore store, TimeSpan? lease = null, TimeSpan? pollInterval = null, string? holder = null)
    {
        _store = store;
        Lease = lease ?? DefaultLease;
        PollInterval = pollInterval ?? TimeSpan.FromMilliseconds(250);
        Holder = holder ?? ThisProcess();
    }

    /// <summary>Claims the work if nobody live holds it; null when another holder has it.</summary>
    public async Task<WorkClaim?> TryClaimAsync(string key, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (await _store.TryClaimAsync(key, Holder, Lease, ct).ConfigureAwait(false)) return Held(key);
        var current = await _store.FindClaimAsync(key, ct).ConfigureAwait(false);
        if (current is null)
            return await _store.TryClaimAsync(key, Holder, Lease, ct).ConfigureAwait(false) ? Held(key) : null;
        if (IsGone(current.Holder) && await _store.TakeOverClaimAsync(key, current.Holder, Holder, Lease, ct).ConfigureAwait(false))
            return Held(key);
        return null;
    }

    /// <summary>
    /// Waits until the work is done by someone (<paramref name="isDone"/> says so: returns null) or this holder gets the
    /// claim and it is still not done (returns the claim).
    /// </summary>
    public async Task<WorkClaim?> ClaimWhenFreeAsync(string key, Func<CancellationToken, Task<bool>> isDone, CancellationToken ct = default)
    {
        while (true)
        {
            var claim = await TryClaimAsync(key, ct).ConfigureAwait(false);
            if (claim is not null)
            {
                // It may have been finished between the caller's look and the claim.
                if (!await isDone(ct).ConfigureAwait(false)) return claim;
                await claim.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            await Task.Delay(PollInterval * (0.75 + 0.5 * Random.Shared.NextDouble()), ct).ConfigureAwait(false);
            if (await isDone(ct).ConfigureAwait(false)) return null;
        }
    }

    internal Task ReleaseAsync(string key) => Volatile.Read(ref _disposed) != 0
        ? Task.CompletedTask
        : _store.ReleaseClaimAsync(key, Holder, CancellationToken.None);

    private WorkClaim Held(string key)
    {
        lock (_gate) _renewing ??= Task.Run(RenewLoopAsync);
        return new WorkClaim(this, key);
    }

    private async Task RenewLoopAsync()
    {
        using var timer = new PeriodicTimer(Lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                await _store.RenewClaimsAsync(Holder, Lease, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>Stops renewing and releases every claim still held, so a successor need not wait for the lease.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        Task? renewing;
        lock (_gate) renewing = _renewing;
        if (renewing is not null) await renewing.ConfigureAwait(false);
        try { await _store.ReleaseClaimsAsync(Holder, CancellationToken.None).ConfigureAwait(false); }
        catch (ObjectDisposedException) { }
        _stop.Dispose();
    }

    private static string ThisProcess() => string.Join('/', Environment.MachineName, Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        StartStamp(Environment.ProcessId).ToString(CultureInfo.InvariantCulture), Guid.NewGuid().ToString("N")[..8]);

    /// <summary>
    /// When a process started, as a number every process computes identically: on Linux the start time in clock ticks
    /// since boot from /proc (Process.StartTime is derived from the current uptime and jitters between readers);
    /// elsewhere whole seconds of Process.StartTime. 0 when unknown.
    /// </summary>
    private static long StartStamp(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[19], CultureInfo.InvariantCulture); // field 22 of proc(5), counted after "pid (comm)"
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException) { }
        try
        {
            using var p = Process.GetProcessById(pid);
            return p.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { return 0; }
    }

    /// <summary>True only when the holder was a process on this machine that is no longer running; anything we
    /// cannot tell counts as alive (its lease will expire).</summary>
    public static bool IsGone(string holder)
    {
        var parts = holder.Split('/');
        if (parts.Length != 4 || parts[0] != Environment.MachineName) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)) return false;
        if (pid == Environment.ProcessId) return false;
        try
        {
            using var p = Process.GetProcessById(pid);
            if (p.HasExited) return true;
        }
        catch (ArgumentException) { return true; } // no such process
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException) { return false; }
        var started = StartStamp(pid);
        return ticks != 0 && started != 0 && started != ticks; // the pid now belongs to another process
    }
}

/// <summary>A held claim; disposing it releases it.</summary>
public sealed class WorkClaim(WorkClaims owner, string key) : IAsyncDisposable
{
    private int _released;
    public string Key { get; } = key;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) await owner.ReleaseAsync(Key).ConfigureAwait(false);
    }
}
