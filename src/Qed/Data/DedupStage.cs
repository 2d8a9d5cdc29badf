using System.Text.Json.Nodes;

namespace Qed.Data;

public sealed record DedupSummary(int Rows, int Kept, int Removed);

/// <summary><c>qed data dedup</c>: keeps the first of every group of near-duplicate items.</summary>
public static class DedupStage
{
    public static async Task<DedupSummary> RunAsync(string input, string output, DedupOptions options, string? field = null,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = await TableReader.ReadAllAsync(input, cancellationToken);
        var kept = Deduplicate(rows, r => TextFields.Of(r, field), options, progress, cancellationToken);
        await TableWriter.WriteAsync(output, kept.Select(r => r.Fields).ToList(), cancellationToken);
        return new DedupSummary(rows.Count, kept.Count, rows.Count - kept.Count);
    }

    public static List<DataRow> Deduplicate(IReadOnlyList<DataRow> rows, Func<DataRow, string> textOf, DedupOptions options,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var dedup = new Deduplicator(options);
        var kept = new List<DataRow>();
        for (var i = 0; i < rows.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (dedup.Offer(textOf(rows[i])).Kept) kept.Add(rows[i]);
            if ((i + 1) % 1000 == 0 || i + 1 == rows.Count) progress?.Report(new StageProgress("dedup", i + 1, rows.Count));
        }
        return kept;
    }
}
