using System.Security.Cryptography;

namespace Qed.Benchmarks;

/// <summary>Which column holds which field. Null means: find it by its usual names (case, spaces and underscores ignored).</summary>
public sealed record ColumnMapping
{
    public string? Id { get; init; }
    public string? Problem { get; init; }
    public string? Solution { get; init; }
    public string? Guidelines { get; init; }
    public string? MarkingScheme { get; init; }
    public string? Answer { get; init; }
    public string? Level { get; init; }
    public string? Category { get; init; }
    public string? Source { get; init; }

    internal static readonly string[] IdNames = ["Problem ID", "problem_id", "id", "problem_idx", "idx", "uuid"];
    internal static readonly string[] ProblemNames = ["Problem", "statement", "question", "problem_statement", "prompt"];
    internal static readonly string[] SolutionNames = ["Solution", "reference_solution", "ground_truth_solution", "proof"];
    internal static readonly string[] GuidelineNames = ["Grading guidelines", "guidelines", "grading_guidelines"];
    internal static readonly string[] SchemeNames = ["marking_scheme", "Marking scheme", "rubric", "rubrics", "schema", "schema_0", "grading_scheme"];
    internal static readonly string[] AnswerNames = ["Short Answer", "short_answer", "answer", "gold_answer", "final_answer"];
    internal static readonly string[] LevelNames = ["Level", "difficulty"];
    internal static readonly string[] CategoryNames = ["Category", "subject", "topic", "type"];
    internal static readonly string[] SourceNames = ["Source", "competition", "origin"];
}

/// <summary>A benchmark the registry knows: where its canonical file lives and what it must hash to.</summary>
/// <param name="RelativePath">path under <c>QED_DATA_DIR</c> and under the cache directory.</param>
/// <param name="Sha256">expected hex sha256 of the file; null when no pinned hash is known (the file is then used unchecked, with a warning).</param>
public sealed record BenchmarkSource(string Id, string RelativePath, string Url, string? Sha256, GradingMode Mode);

/// <summary>
/// Loads benchmarks by registry id (<c>imo-proofbench</c>, <c>imo-answerbench</c>, <c>proofbench</c>) or by
/// path (CSV, JSONL, Parquet). Registry files come from <c>QED_DATA_DIR</c> when present there, else from the
/// cache directory, else are downloaded into it; every copy is checked against its sha256.
/// </summary>
public sealed class BenchmarkLoader
{
    public static IReadOnlyList<BenchmarkSource> Registry { get; } =
    [
        new("imo-proofbench", "imobench/proofbench_v2.csv",
            "https://raw.githubusercontent.com/google-deepmind/superhuman/main/imobench/proofbench_v2.csv",
            "aa8b813dbd4068137e3d165e5da228f6e0e1cc85a91c37883e1791b954e43af0", GradingMode.Proof),
        new("imo-answerbench", "imobench/answerbench_v2.csv",
            "https://raw.githubusercontent.com/google-deepmind/superhuman/main/imobench/answerbench_v2.csv",
            "275877a9d988d85278fad3a5f8a41d7f83393a60bf259531ec0a5161e6b21cf9", GradingMode.Answer),
        new("proofbench", "proofbench/proofbench.jsonl",
            "https://huggingface.co/datasets/wenjiema02/ProofBench/resolve/main/proofbench.jsonl",
            null, GradingMode.MarkingScheme),
    ];

    private readonly IReadOnlyList<BenchmarkSource> _registry;
    private readonly string? _dataDir;
    private readonly string _cacheDir;
    private readonly HttpClient? _http;

    /// <param name="dataDir">offline copies (<c>QED_DATA_DIR</c>).</param>
    /// <param name="cacheDir">where downloads are kept (default <c>$QED_CACHE_DIR</c> or <c>~/.cache/qed</c>).</param>
    /// <param name="http">for downloads; null forbids downloading.</param>
    public BenchmarkLoader(string? dataDir = null, string? cacheDir = null, HttpClient? http = null, IReadOnlyList<BenchmarkSource>? registry = null)
    {
        _registry = registry ?? Registry;
        _dataDir = dataDir ?? Environment.GetEnvironmentVariable("QED_DATA_DIR");
        _cacheDir = cacheDir ?? Environment.GetEnvironmentVariable("QED_CACHE_DIR")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "qed");
        _http = http;
    }

    public async Task<Benchmark> LoadAsync(string idOrPath, ColumnMapping? columns, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var source = _registry.FirstOrDefault(s => s.Id == idOrPath);
        string path;
        string name;
        if (source is not null)
        {
            path = await LocateAsync(source, warnings, cancellationToken);
            name = source.Id;
        }
        else if (File.Exists(idOrPath))
        {
            path = idOrPath;
            name = Path.GetFileNameWithoutExtension(idOrPath);
        }
        else
        {
            throw new QedException($"benchmark '{idOrPath}' is neither a known id ({string.Join(", ", _registry.Select(r => r.Id))}) nor an existing file");
        }

        var rows = await TableReader.ReadAsync(path, cancellationToken);
        var problems = ProblemRows.ToProblems(path, name, rows, columns ?? new ColumnMapping(), warnings);
        var mode = source?.Mode ?? Benchmark.InferMode(problems);
        return new Benchmark(name, mode, problems, warnings);
    }

    private async Task<string> LocateAsync(BenchmarkSource source, List<string> warnings, CancellationToken ct)
    {
        string? localTried = null;
        if (!string.IsNullOrEmpty(_dataDir))
        {
            localTried = Path.Combine(_dataDir, source.RelativePath);
            if (File.Exists(localTried))
            {
                await CheckHashAsync(source, localTried, warnings, ct);
                return localTried;
            }
        }
        var cached = Path.Combine(_cacheDir, "benchmarks", source.RelativePath);
        if (File.Exists(cached) && await HashMatchesAsync(source, cached, ct)) return cached;

        var why = _http is null ? "downloads are disabled" : null;
        if (_http is not null)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(cached)!);
                var tmp = cached + ".part";
                using (var response = await _http.GetAsync(source.Url, HttpCompletionOption.ResponseHeadersRead, ct))
                {
                    response.EnsureSuccessStatusCode();
                    await using var file = File.Create(tmp);
                    await response.Content.CopyToAsync(file, ct);
                }
                if (!await HashMatchesAsync(source, tmp, ct))
                {
                    File.Delete(tmp);
                    why = $"the downloaded file does not match sha256 {source.Sha256}";
                }
                else
                {
                    File.Move(tmp, cached, overwrite: true);
                    if (source.Sha256 is null) warnings.Add($"{source.Id}: no pinned sha256; using {source.Url} unchecked");
                    return cached;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                why = e.Message;
            }
        }
        var local = localTried is null
            ? $"QED_DATA_DIR is not set (point it at a folder holding {source.RelativePath}; see README, \"Benchmark data\")"
            : $"no local copy at {localTried} (QED_DATA_DIR must hold {source.RelativePath})";
        throw new QedException($"benchmark '{source.Id}': {local}, and downloading {source.Url} failed ({why})");
    }

    private static async Task CheckHashAsync(BenchmarkSource source, string path, List<string> warnings, CancellationToken ct)
    {
        if (source.Sha256 is null) { warnings.Add($"{source.Id}: no pinned sha256; using {path} unchecked"); return; }
        if (!await HashMatchesAsync(source, path, ct))
            throw new QedException($"{path}: sha256 differs from the pinned {source.Sha256} of {source.Id} (a different or damaged copy)");
    }

    private static async Task<bool> HashMatchesAsync(BenchmarkSource source, string path, CancellationToken ct)
    {
        if (source.Sha256 is null) return true;
        await using var f = File.OpenRead(path);
        var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(f, ct));
        return string.Equals(hash, source.Sha256, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Turns table rows into problems: maps columns by name and repairs the known AnswerBench v2 defects.</summary>
public static class ProblemRows
{
    public static IReadOnlyList<Problem> ToProblems(string path, string benchmark, IReadOnlyList<TableRow> rows, ColumnMapping map, List<string> warnings)
    {
        if (rows.Count == 0) return [];
        var columns = rows[0].Fields.Keys.Where(k => k != "__extra").ToList();
        string? Find(string? over, string[] names, string field)
        {
            if (over is not null)
                return columns.Contains(over) ? over : throw new QedException($"{path}:1: column '{over}' (given for {field}) is not in the header ({string.Join(", ", columns)})");
            foreach (var n in names)
                foreach (var c in columns)
                    if (Normal(c) == Normal(n)) return c;
            return null;
        }
        var idCol = Find(map.Id, ColumnMapping.IdNames, "the problem id");
        var problemCol = Find(map.Problem, ColumnMapping.ProblemNames, "the problem statement")
            ?? throw new QedException($"{path}:1: no problem column (looked for {string.Join(", ", ColumnMapping.ProblemNames)}; name it with --problem-column)");
        var solutionCol = Find(map.Solution, ColumnMapping.SolutionNames, "the reference solution");
        var guidelinesCol = Find(map.Guidelines, ColumnMapping.GuidelineNames, "the guidelines");
        var schemeCol = Find(map.MarkingScheme, ColumnMapping.SchemeNames, "the marking scheme");
        var answerCol = Find(map.Answer, ColumnMapping.AnswerNames, "the short answer");
        var levelCol = Find(map.Level, ColumnMapping.LevelNames, "the level");
        var categoryCol = Find(map.Category, ColumnMapping.CategoryNames, "the category");
        var sourceCol = Find(map.Source, ColumnMapping.SourceNames, "the source");
        var answerBenchShape = columns.SequenceEqual(["Problem ID", "Problem", "Short Answer", "Category", "Subcategory", "Source"]);

        var problems = new List<Problem>();
        var seen = new Dictionary<string, int>();
        int trimmed = 0;
        foreach (var row in rows)
        {
            var f = row.Fields;
            string? Get(string? col) => col is null ? null : f.GetValueOrDefault(col);
            var id = Get(idCol)?.Trim();
            if (string.IsNullOrEmpty(id)) id = $"{benchmark}-{problems.Count + 1:000}";
            var statement = Get(problemCol);
            var answer = Get(answerCol);
            var category = Get(categoryCol);
            var source = Get(sourceCol);

            if (answerBenchShape && string.IsNullOrEmpty(f.GetValueOrDefault("Source")))
            {
                // AnswerBench v2 imo-bench-algebra-036: problem and answer merged into one field, the rest shifted left.
                var merged = statement ?? "";
                var cut = merged.LastIndexOf("\n,", StringComparison.Ordinal);
                if (cut < 0)
                {
                    warnings.Add($"{path}:{row.Line}: problem {id} has shifted columns that cannot be repaired; skipped");
                    continue;
                }
                statement = merged[..cut];
                answer = merged[(cut + 2)..].TrimEnd('"');
                category = f.GetValueOrDefault("Short Answer");
                source = f.GetValueOrDefault("Subcategory");
                warnings.Add($"{path}:{row.Line}: problem {id}: repaired merged Problem/Short Answer fields (columns shifted left)");
            }

            if (string.IsNullOrWhiteSpace(statement))
                throw new QedException($"{path}:{row.Line}: field '{problemCol}': empty problem statement (problem {id})");
            if (answer is not null && answer != answer.Trim())
            {
                answer = answer.Trim();
                trimmed++;
            }
            if (seen.TryGetValue(id, out var firstLine))
                throw new QedException($"{path}:{row.Line}: field '{idCol ?? "id"}': problem id '{id}' already used on line {firstLine}");
            seen[id] = row.Line;
            problems.Add(new Problem(id, statement.Trim(), Empty(Get(solutionCol)), Empty(Get(guidelinesCol)), Empty(Get(schemeCol)),
                Empty(answer), Empty(Get(levelCol)?.Trim()), Empty(category?.Trim()), Empty(source?.Trim()), benchmark));
        }
        if (trimmed > 0) warnings.Add($"{path}: trimmed surrounding whitespace from {trimmed} short answers");
        return problems;
    }

    private static string? Empty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    private static string Normal(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
}
