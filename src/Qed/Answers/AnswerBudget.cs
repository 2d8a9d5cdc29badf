using System.Diagnostics;

namespace Qed.Answers;

/// <summary>Raised inside one check when it runs past its time or size limit; the check answers undecided.</summary>
internal sealed class AnswerLimitException(string reason) : Exception(reason);

/// <summary>Raised when a value is outside a function's domain at one evaluation point (division by zero, log 0).</summary>
internal sealed class DomainException(string reason) : Exception(reason);

/// <summary>
/// The time and size allowance of one check. Owned by that check alone (thread-safe by not being shared);
/// long loops call <see cref="Tick"/>, which looks at the clock every 256 calls and at the cancellation token.
/// </summary>
internal sealed class AnswerBudget(TimeSpan timeout, int maxBits, CancellationToken ct)
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly long _limitTicks = timeout == Timeout.InfiniteTimeSpan
        ? long.MaxValue
        : (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    private int _count;

    public int MaxBits { get; } = maxBits;

    public void Tick()
    {
        if ((++_count & 255) != 0) return;
        Check();
    }

    public void Check()
    {
        ct.ThrowIfCancellationRequested();
        if (Stopwatch.GetTimestamp() - _start > _limitTicks)
            throw new AnswerLimitException($"time limit of {timeout.TotalMilliseconds:0} ms exceeded");
    }

    public void CheckBits(long bits)
    {
        if (bits > MaxBits) throw new AnswerLimitException($"size limit exceeded (a number needs more than {MaxBits} bits)");
    }
}
