using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Data;

/// <summary>
/// Rows of token ids ready for one forward pass, as flat row-major arrays [Rows × Columns]. Several examples
/// may share a row (packing): <see cref="Segments"/> tells them apart, positions restart at 0 in each, and the
/// attention mask keeps every token inside its own example. Padding gets a segment of its own per position.
/// <see cref="Labels"/>[t] is the token to predict at position t, or −100 where no loss is taken.
/// </summary>
public sealed record MicroBatch(int Rows, int Columns, long[] TokenIds, long[] Positions, long[] Labels, long[] Segments, bool NeedsMask)
{
    public const long IgnoreLabel = -100;

    public int TargetCount => Labels.Count(l => l != IgnoreLabel);

    /// <summary>Non-padding tokens.</summary>
    public int TokenCount { get; init; }

    /// <summary>(input ids, position ids, labels, attention mask or null for plain causal) on <paramref name="device"/>.</summary>
    public (Tensor Ids, Tensor Positions, Tensor Labels, Tensor? Mask) ToTensors(Device device)
    {
        var ids = tensor(TokenIds, [Rows, Columns], device: device);
        var positions = tensor(Positions, [Rows, Columns], device: device);
        var labels = tensor(Labels, [Rows, Columns], device: device);
        Tensor? mask = null;
        if (NeedsMask)
        {
            var seg = tensor(Segments, [Rows, Columns], device: device);
            var same = seg.unsqueeze(2).eq(seg.unsqueeze(1));                       // [B, T, T]
            var causal = ones(Columns, Columns, ScalarType.Bool, device).tril();
            mask = same.logical_and(causal).unsqueeze(1);                           // [B, 1, T, T]
        }
        return (ids, positions, labels, mask);
    }

    /// <summary>Lays out examples, one row per entry of <paramref name="rows"/>, padded to the longest row.</summary>
    public static MicroBatch FromRows(IReadOnlyList<IReadOnlyList<SftExample>> rows, int padId)
    {
        int columns = rows.Max(r => r.Sum(e => e.Length));
        int n = rows.Count * columns;
        var ids = new long[n]; var positions = new long[n]; var labels = new long[n]; var segments = new long[n];
        bool needsMask = false;
        int tokens = 0;
        for (int r = 0; r < rows.Count; r++)
        {
            int col = 0, segment = 0;
            if (rows[r].Count > 1) needsMask = true;
            foreach (var example in rows[r])
            {
                for (int i = 0; i < example.Length; i++, col++)
                {
                    int at = r * columns + col;
                    ids[at] = example.TokenIds[i];
                    positions[at] = i;
                    segments[at] = segment;
                    labels[at] = i + 1 < example.Length && example.Targets[i + 1] ? example.TokenIds[i + 1] : IgnoreLabel;
                }
                tokens += example.Length;
                segment++;
            }
            for (; col < columns; col++)
            {
                int at = r * columns + col;
                ids[at] = padId; positions[at] = 0; labels[at] = IgnoreLabel;
                segments[at] = -1 - col;   // padding attends only to itself: no empty softmax rows
            }
        }
        return new MicroBatch(rows.Count, columns, ids, positions, labels, segments, needsMask) { TokenCount = tokens };
    }
}
