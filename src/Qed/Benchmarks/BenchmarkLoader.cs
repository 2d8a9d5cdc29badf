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

/// <summary>A benchmark opened for streaming: its name, mode and warnings, how many problems were selected, and a way
/// to read them (again) one at a time.</summary>
public sealed record StreamedBenchmark(Benchmark Benchmark, int Count, Func<CancellationToken, IAsyncEnumerable<Problem>> Open);

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
    private readonly InputOptions _input;

    /// <param name="dataDir">offline copies (<c>QED_DATA_DIR</c>).</param>
    /// <param name="cacheDir">where downloads are kept (default <c>$QED_CACHE_DIR</c> or <c>~/.cache/qed</c>).</param>
    /// <param name="http">for downloads; null forbids downloading.</param>
    public BenchmarkLoader(string? dataDir = null, string? cacheDir = null, HttpClient? http = null, IReadOnlyList<BenchmarkSource>? registry = null,
        InputOptions? input = null)
    {
        _input = input ?? InputOptions.Strict;
        // QED_GITHUB_RAW moves the GitHub-hosted files (the IMO-Bench CSVs) onto a mirror, as it does the protocol files.
        var rawBase = Environment.GetEnvironmentVariable(Qed.Protocols.GitHubRaw.Variable);
        _registry = registry ?? (string.IsNullOrWhiteSpace(rawBase) ? Registry
            : Registry.Select(s => s with { Url = Qed.Protocols.GitHubRaw.Rebase(s.Url, rawBase) }).ToList());
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

        var mapper = new ProblemMapper(path, name, columns ?? new ColumnMapping(), warnings);
        var problems = new List<Problem>();
        await foreach (var row in TableReader.StreamAsync(path, _input, cancellationToken))
            if (mapper.Next(row) is { } p) problems.Add(p);
        mapper.Finish();
        var mode = source?.Mode ?? Benchmark.InferMode(problems);
        return new Benchmark(name, mode, problems, warnings);
    }

    /// <summary>
    /// Opens a benchmark for streaming: one pass over the selected problems (stopping after <paramref name="limit"/>)
    /// checks every row, counts them and decides the grading mode, keeping no problem; each
    /// <see cref="StreamedBenchmark.Open"/> then reads them again, one at a time.
    /// </summary>
    public async Task<StreamedBenchmark> OpenAsync(string idOrPath, ColumnMapping? columns, int? limit, IReadOnlyCollection<string>? ids,
        CancellationToken cancellationToken)
    {
        var (source, path, name, warnings) = await ResolveAsync(idOrPath, cancellationToken);
        var map = columns ?? new ColumnMapping();
        var wanted = ids is { Count: > 0 } ? new HashSet<string>(ids) : null;
        var found = new HashSet<string>();
        int count = 0;
        bool allSchemes = true, allAnswerOnly = true;
        // Repeated ids are found by sorting (64-bit hash, line) pairs, 16 bytes a row, instead of holding every id.
        var keys = new List<(ulong Hash, int Line)>();
        await foreach (var (p, line) in SelectAsync(path, name, map, limit, wanted, warnings, cancellationToken, checkIds: false))
        {
            count++;
            keys.Add((IdHash(p.Id), line));
            if (wanted is not null) found.Add(p.Id);
            allSchemes &= !string.IsNullOrWhiteSpace(p.MarkingScheme);
            allAnswerOnly &= string.IsNullOrWhiteSpace(p.ReferenceSolution) && !string.IsNullOrWhiteSpace(p.ShortAnswer);
        }
        await CheckRepeatedIdsAsync(path, name, map, keys, cancellationToken);
        if (wanted is not null && (limit is null || count < limit) && wanted.Except(found).ToList() is { Count: > 0 } unknown)
            throw new QedException($"--problems: unknown id(s) {string.Join(", ", ids!.Where(unknown.Contains))} in {name}");
        var mode = source?.Mode ?? (count > 0 && allSchemes ? GradingMode.MarkingScheme : count > 0 && allAnswerOnly ? GradingMode.Answer : GradingMode.Proof);
        return new StreamedBenchmark(new Benchmark(name, mode, [], warnings), count,
            ct => Problems(SelectAsync(path, name, map, limit, wanted, [], ct, checkIds: false)));
    }

    private static async IAsyncEnumerable<Problem> Problems(IAsyncEnumerable<(Problem Problem, int Line)> rows)
    {
        await foreach (var (p, _) in rows) yield return p;
    }

    private static ulong IdHash(string id)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id), hash);
        return BitConverter.ToUInt64(hash);
    }

    /// <summary>Fails on the first line whose id an earlier line already used; hash matches are confirmed by reading
    /// those lines' ids again, so a hash collision is never reported as a repeat.</summary>
    private async Task CheckRepeatedIdsAsync(string path, string name, ColumnMapping map, List<(ulong Hash, int Line)> keys, CancellationToken ct)
    {
        keys.Sort();
        var suspects = new HashSet<int>();
        for (var i = 1; i < keys.Count; i++)
            if (keys[i].Hash == keys[i - 1].Hash) { suspects.Add(keys[i].Line); suspects.Add(keys[i - 1].Line); }
        if (suspects.Count == 0) return;
        var firstLine = new Dictionary<string, int>();
        await foreach (var (p, line) in SelectAsync(path, name, map, null, null, [], ct, checkIds: false))
        {
            if (!suspects.Contains(line)) continue;
            if (firstLine.TryGetValue(p.Id, out var first))
                throw new QedException($"{path}:{line}: problem id '{p.Id}' already used on line {first}");
            firstLine[p.Id] = line;
        }
    }

    private async IAsyncEnumerable<(Problem Problem, int Line)> SelectAsync(string path, string name, ColumnMapping map, int? limit, HashSet<string>? wanted,
        List<string> warnings, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct, bool checkIds = true)
    {
        var mapper = new ProblemMapper(path, name, map, warnings, checkIds);
        var taken = 0;
        await foreach (var row in TableReader.StreamAsync(path, _input, ct))
        {
            if (limit is { } n && taken >= n) yield break;
            if (mapper.Next(row) is not { } p || wanted is not null && !wanted.Contains(p.Id)) continue;
            taken++;
            yield return (p, row.Line);
        }
        mapper.Finish();
    }

    private async Task<(BenchmarkSource? Source, string Path, string Name, List<string> Warnings)> ResolveAsync(string idOrPath, CancellationToken cancellationToken)
    {
        var warnings = new List<string>();
        var source = _registry.FirstOrDefault(s => s.Id == idOrPath);
        if (source is not null) return (source, await LocateAsync(source, warnings, cancellationToken), source.Id, warnings);
        if (File.Exists(idOrPath)) return (null, idOrPath, Path.GetFileNameWithoutExtension(idOrPath), warnings);
        throw new QedException($"benchmark '{idOrPath}' is neither a known id ({string.Join(", ", _registry.Select(r => r.Id))}) nor an existing file");
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
        var mapper = new ProblemMapper(path, benchmark, map, warnings);
        var problems = new List<Problem>();
        foreach (var row in rows)
            if (mapper.Next(row) is { } p) problems.Add(p);
        mapper.Finish();
        return problems;
    }
}

/// <summary>
/// Maps rows to problems one at a time (so a file can be streamed): finds the columns from the first row, repairs
/// the known AnswerBench v2 defects, rejects empty statements and repeated ids with the line.
/// </summary>
/// <param name="checkIds">false when the rows were already checked (a second pass over the same file).</param>
public sealed class ProblemMapper(string path, string benchmark, ColumnMapping map, List<string> warnings, bool checkIds = true)
{
    // Ids are remembered by a 128-bit hash: a million ids cost ~40 MB instead of the ~100 MB their strings would.
    private readonly Dictionary<UInt128, int> _seen = new();
    private int _trimmed, _count;
    private bool _ready, _answerBenchShape;
    private string? _idCol, _problemCol, _solutionCol, _guidelinesCol, _schemeCol, _answerCol, _levelCol, _categoryCol, _sourceCol;

    private void Prepare(TableRow first)
    {
        var columns = first.Fields.Keys.Where(k => k != "__extra").ToList();
        string? Find(string? over, string[] names, string field)
        {
            if (over is not null)
                return columns.Contains(over) ? over : throw new QedException($"{path}:1: column '{over}' (given for {field}) is not in the header ({string.Join(", ", columns)})");
            foreach (var n in names)
                foreach (var c in columns)
                    if (Normal(c) == Normal(n)) return c;
            return null;
        }
        _idCol = Find(map.Id, ColumnMapping.IdNames, "the problem id");
        _problemCol = Find(map.Problem, ColumnMapping.ProblemNames, "the problem statement")
            ?? throw new QedException($"{path}:1: no problem column (looked for {string.Join(", ", ColumnMapping.ProblemNames)}; name it with --problem-column)");
        _solutionCol = Find(map.Solution, ColumnMapping.SolutionNames, "the reference solution");
        _guidelinesCol = Find(map.Guidelines, ColumnMapping.GuidelineNames, "the guidelines");
        _schemeCol = Find(map.MarkingScheme, ColumnMapping.SchemeNames, "the marking scheme");
        _answerCol = Find(map.Answer, ColumnMapping.AnswerNames, "the short answer");
        _levelCol = Find(map.Level, ColumnMapping.LevelNames, "the level");
        _categoryCol = Find(map.Category, ColumnMapping.CategoryNames, "the category");
        _sourceCol = Find(map.Source, ColumnMapping.SourceNames, "the source");
        _answerBenchShape = columns.SequenceEqual(["Problem ID", "Problem", "Short Answer", "Category", "Subcategory", "Source"]);
        _ready = true;
    }

    /// <summary>The problem of this row, or null when the row is skipped (with a warning).</summary>
    public Problem? Next(TableRow row)
    {
        if (!_ready) Prepare(row);
        var f = row.Fields;
        string? Get(string? col) => col is null ? null : f.GetValueOrDefault(col);
        var id = Get(_idCol)?.Trim();
        if (string.IsNullOrEmpty(id)) id = $"{benchmark}-{_count + 1:000}";
        var statement = Get(_problemCol);
        var answer = Get(_answerCol);
        var category = Get(_categoryCol);
        var source = Get(_sourceCol);

        if (_answerBenchShape && string.IsNullOrEmpty(f.GetValueOrDefault("Source")))
        {
            // AnswerBench v2 imo-bench-algebra-036: problem and answer merged into one field, the rest shifted left.
            var merged = statement ?? "";
            var cut = merged.LastIndexOf("\n,", StringComparison.Ordinal);
            if (cut < 0)
            {
                warnings.Add($"{path}:{row.Line}: problem {id} has shifted columns that cannot be repaired; skipped");
                return null;
            }
            statement = merged[..cut];
            answer = merged[(cut + 2)..].TrimEnd('"');
            category = f.GetValueOrDefault("Short Answer");
            source = f.GetValueOrDefault("Subcategory");
            warnings.Add($"{path}:{row.Line}: problem {id}: repaired merged Problem/Short Answer fields (columns shifted left)");
        }

        if (string.IsNullOrWhiteSpace(statement))
            throw new QedException($"{path}:{row.Line}: field '{_problemCol}': empty problem statement (problem {id})");
        if (answer is not null && answer != answer.Trim())
        {
            answer = answer.Trim();
            _trimmed++;
        }
        if (checkIds)
        {
            var key = IdKey(id);
            if (_seen.TryGetValue(key, out var firstLine))
                throw new QedException($"{path}:{row.Line}: field '{_idCol ?? "id"}': problem id '{id}' already used on line {firstLine}");
            _seen[key] = row.Line;
        }
        _count++;
        return new Problem(id, statement.Trim(), Empty(Get(_solutionCol)), Empty(Get(_guidelinesCol)), Empty(Get(_schemeCol)),
            Empty(answer), Empty(Get(_levelCol)?.Trim()), Empty(category?.Trim()), Empty(source?.Trim()), benchmark, InputRowJson(f));
    }

    /// <summary>Adds the warnings that summarise the whole file.</summary>
    public void Finish()
    {
        if (_trimmed > 0) warnings.Add($"{path}: trimmed surrounding whitespace from {_trimmed} short answers");
    }

    private static string? Empty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>The row as read (every column, in file order), kept so exports carry the benchmark's own columns.</summary>
    private static string InputRowJson(IReadOnlyDictionary<string, string?> fields) =>
        new System.Text.Json.Nodes.JsonObject(fields.Where(p => p.Key != "__extra")
            .Select(p => KeyValuePair.Create(p.Key, (System.Text.Json.Nodes.JsonNode?)p.Value))).ToJsonString();

    private static string Normal(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());

    private static UInt128 IdKey(string id)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id), hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(hash);
    }
}
