using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Data;

public sealed record DecontaminateSummary(int Rows, int Kept, int Removed, int Hits, int BenchmarkProblems);

/// <summary>
/// <c>qed data decontaminate</c>: drops every input item that overlaps a benchmark problem and writes a
/// report listing every hit with the benchmark id it matched. Output and report are written atomically.
/// </summary>
public static class DecontaminateStage
{
    public static async Task<DecontaminateSummary> RunAsync(string input, IReadOnlyList<BenchmarkText> benchmarks,
        string output, string reportPath, DecontaminationOptions options, string? field = null,
        IProgress<StageProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var rows = await TableReader.ReadAllAsync(input, cancellationToken);
        var decontaminator = new Decontaminator(benchmarks, options);
        var hits = new List<ContaminationHit>();
        var kept = new List<JsonObject>();
        for (var i = 0; i < rows.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var row = rows[i];
            var found = decontaminator.Check(TextFields.Of(row, field));
            foreach (var f in found)
                hits.Add(new ContaminationHit(i, row.File, row.Line, TextFields.IdOf(row), f.Benchmark.Benchmark, f.Benchmark.Id,
                    f.Method, f.NgramMatches, f.Similarity, f.SharedText));
            if (found.Count == 0) kept.Add(row.Fields);
            if ((i + 1) % 1000 == 0 || i + 1 == rows.Count) progress?.Report(new StageProgress("decontaminate", i + 1, rows.Count));
        }
        var removed = rows.Count - kept.Count;
        var report = new JsonObject
        {
            ["input"] = input,
            ["against"] = new JsonArray(benchmarks.Select(b => b.Benchmark).Distinct().Select(b => (JsonNode?)JsonValue.Create(b)).ToArray()),
            ["benchmark_problems"] = benchmarks.Count,
            ["ngram"] = options.NGram,
            ["similarity_threshold"] = options.Similarity,
            ["rows"] = rows.Count,
            ["kept"] = kept.Count,
            ["removed"] = removed,
            ["hits"] = new JsonArray(hits.Select(h => (JsonNode?)new JsonObject
            {
                ["row"] = h.Row,
                ["line"] = h.Line,
                ["id"] = h.ItemId,
                ["benchmark"] = h.Benchmark,
                ["benchmark_id"] = h.BenchmarkId,
                ["method"] = h.Method,
                ["ngram_matches"] = h.NgramMatches,
                ["similarity"] = h.Similarity,
                ["shared_text"] = h.SharedText,
            }).ToArray()),
        };
        // Report first: an output without its report would hide why rows went missing.
        await AtomicFile.WriteTextAsync(reportPath, report.ToJsonString(new JsonSerializerOptions(TableWriter.Json) { WriteIndented = true }) + "\n", cancellationToken);
        await TableWriter.WriteAsync(output, kept, cancellationToken);
        return new DecontaminateSummary(rows.Count, kept.Count, removed, hits.Count, benchmarks.Count);
    }
}
