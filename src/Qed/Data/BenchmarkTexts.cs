namespace Qed.Data;

/// <summary>
/// Loads the problems training data is checked against: the benchmarks by name (imo-proofbench,
/// imo-answerbench) from the data folder, or any JSONL/Parquet/CSV file with an id and a problem column.
/// </summary>
public static class BenchmarkTexts
{
    private static readonly Dictionary<string, string> KnownFiles = new()
    {
        ["imo-proofbench"] = Path.Combine("imobench", "proofbench_v2.csv"),
        ["imo-answerbench"] = Path.Combine("imobench", "answerbench_v2.csv"),
    };

    public static IReadOnlyCollection<string> Names => KnownFiles.Keys;

    /// <param name="spec">comma-separated benchmark names and/or file paths</param>
    /// <param name="dataDir">folder holding the benchmark files (QED_DATA_DIR), for names</param>
    public static async Task<List<BenchmarkText>> LoadAsync(string spec, string? dataDir, CancellationToken cancellationToken = default)
    {
        var result = new List<BenchmarkText>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (KnownFiles.TryGetValue(part, out var rel))
            {
                if (dataDir is null)
                    throw new QedException($"--against {part}: no data folder (set QED_DATA_DIR to the folder holding imobench/)");
                var file = Path.Combine(dataDir, rel);
                if (!File.Exists(file))
                    throw new QedException($"--against {part}: {file} does not exist (set QED_DATA_DIR to the folder holding imobench/)");
                result.AddRange(await LoadFileAsync(part, file, cancellationToken));
            }
            else if (File.Exists(part))
            {
                result.AddRange(await LoadFileAsync(Path.GetFileNameWithoutExtension(part), part, cancellationToken));
            }
            else
            {
                throw new QedException($"--against: '{part}' is neither a known benchmark ({string.Join(", ", Names)}) nor an existing file");
            }
        }
        return result;
    }

    public static async Task<List<BenchmarkText>> LoadFileAsync(string benchmark, string path, CancellationToken cancellationToken = default)
    {
        var result = new List<BenchmarkText>();
        await foreach (var row in TableReader.ReadAsync(path, cancellationToken))
        {
            var id = row.FirstText("Problem ID", "problem_id", "id", "uuid")
                ?? throw new QedException($"{row.Where}: benchmark row has no id field ('Problem ID', 'problem_id' or 'id')");
            var text = row.FirstText("Problem", "problem", "question", "text")
                ?? throw new QedException($"{row.Where}: benchmark row has no problem field ('Problem', 'problem' or 'question')");
            result.Add(new BenchmarkText(benchmark, id, text));
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
