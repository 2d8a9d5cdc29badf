using Qed.Benchmarks;

namespace Qed.Data;

/// <summary>
/// Loads the problems training data is checked against, through the benchmark loaders evaluation uses:
/// registry names (imo-proofbench, imo-answerbench, proofbench — from QED_DATA_DIR, the cache, or a download
/// when an HTTP client is given) or any CSV/JSONL/Parquet file with a problem column.
/// </summary>
public static class BenchmarkTexts
{
    /// <param name="spec">comma-separated benchmark names and/or file paths</param>
    /// <param name="dataDir">folder holding offline benchmark copies (QED_DATA_DIR layout)</param>
    /// <param name="http">for downloading registry benchmarks not found locally; null forbids downloads</param>
    public static async Task<List<BenchmarkText>> LoadAsync(string spec, string? dataDir, CancellationToken cancellationToken = default,
        HttpClient? http = null)
    {
        var loader = new BenchmarkLoader(dataDir, http: http);
        var result = new List<BenchmarkText>();
        var parts = spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new QedException("--against: name at least one benchmark or file");
        foreach (var part in parts)
        {
            var benchmark = await loader.LoadAsync(part, null, cancellationToken);
            result.AddRange(benchmark.Problems.Select(p => new BenchmarkText(benchmark.Name, p.Id, p.Statement)));
        }
        return result;
    }

    /// <summary>The data folder: QED_DATA_DIR, else ../shared/data beside QED_HOME or the working directory.</summary>
    public static string? DefaultDataDir()
    {
        var env = Environment.GetEnvironmentVariable("QED_DATA_DIR");
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var root in new[] { Environment.GetEnvironmentVariable("QED_HOME"), Directory.GetCurrentDirectory() })
        {
            if (string.IsNullOrEmpty(root)) continue;
            var dir = Path.GetFullPath(Path.Combine(root, "..", "shared", "data"));
            if (Directory.Exists(dir)) return dir;
        }
        return null;
    }
}
