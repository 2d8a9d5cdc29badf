namespace Qed.Training.Data;

/// <summary>How examples are laid out in rows.</summary>
public sealed record BatchLayout(int MaxSequenceLength, bool Pack, int RowsPerMicroBatch, int GradientAccumulation);

/// <summary>
/// The order of micro-batches in one epoch, a pure function of (examples, seed, epoch, layout): examples are
/// shuffled with a seeded SplitMix64 Fisher–Yates, then packed greedily in that order (or one per row), then
/// grouped into micro-batches and optimiser steps. Because nothing depends on earlier epochs or on wall-clock
/// state, the step number alone says where the data stream is — which is what makes resume exact.
/// </summary>
public sealed class SftEpochPlan
{
    public IReadOnlyList<MicroBatch> MicroBatches { get; }
    public int Steps { get; }
    private readonly int _accumulation;

    private SftEpochPlan(IReadOnlyList<MicroBatch> microBatches, int accumulation)
    {
        MicroBatches = microBatches;
        _accumulation = accumulation;
        Steps = (microBatches.Count + accumulation - 1) / accumulation;
    }

    /// <summary>Micro-batches of step <paramref name="stepInEpoch"/> (0-based); the last step of an epoch may have fewer.</summary>
    public IReadOnlyList<MicroBatch> StepBatches(int stepInEpoch) =>
        MicroBatches.Skip(stepInEpoch * _accumulation).Take(_accumulation).ToList();

    public static SftEpochPlan Build(IReadOnlyList<SftExample> examples, long seed, int epoch, BatchLayout layout, int padId)
    {
        if (examples.Count == 0) throw new QedException("the dataset has no examples");
        var order = Enumerable.Range(0, examples.Count).ToArray();
        var rng = new SplitMix64(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)epoch));
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(rng.Next() % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }

        var rows = new List<IReadOnlyList<SftExample>>();
        var current = new List<SftExample>();
        int used = 0;
        foreach (var index in order)
        {
            var example = examples[index];
            if (!layout.Pack || (current.Count > 0 && used + example.Length > layout.MaxSequenceLength))
            {
                if (current.Count > 0) rows.Add(current);
                current = new List<SftExample>(); used = 0;
            }
            current.Add(example); used += example.Length;
        }
        if (current.Count > 0) rows.Add(current);

        var batches = rows.Chunk(layout.RowsPerMicroBatch).Select(chunk => MicroBatch.FromRows(chunk, padId)).ToList();
        return new SftEpochPlan(batches, layout.GradientAccumulation);
    }
}

/// <summary>SplitMix64: a tiny, fully specified PRNG, so the data order never depends on a runtime's Random.</summary>
internal struct SplitMix64(ulong state)
{
    private ulong _state = state;

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
