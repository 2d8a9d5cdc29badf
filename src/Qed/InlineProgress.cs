namespace Qed;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its callback on the reporting thread, one report at a time, in order.
/// <see cref="Progress{T}"/> posts each report to the thread pool, so lines can arrive out of order or after the
/// work they describe has returned — wrong for progress lines and for anything that reads them afterwards.
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly object _gate = new();

    public void Report(T value)
    {
        lock (_gate) report(value);
    }
}
