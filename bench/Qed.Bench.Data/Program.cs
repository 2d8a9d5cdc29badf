// Throughput and peak memory of `qed data decontaminate` and `qed data dedup` on synthetic documents.
// Each stage runs in its own process so its peak memory is its own. Prints one BENCH line per stage:
//   BENCH {"name":"data.decontaminate","docs":100000,"docs_per_s":...,"peak_mb":...,...}
// Usage: Qed.Bench.Data [--docs N] [--stage decontaminate|dedup]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qed.Data;

var docs = 100_000;
string? stage = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--docs") docs = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--stage") stage = args[++i];
}

if (stage is null)
{
    var self = Environment.ProcessPath!;
    var dll = typeof(SyntheticCorpus).Assembly.Location;
    foreach (var s in new[] { "decontaminate", "dedup" })
    {
        var psi = new ProcessStartInfo(self.EndsWith("dotnet") ? self : self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--docs"); psi.ArgumentList.Add(docs.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add("--stage"); psi.ArgumentList.Add(s);
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) return p.ExitCode;
    }
    return 0;
}

var dir = Path.Combine(Path.GetTempPath(), "qed-bench-data-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
try
{
    var corpus = new SyntheticCorpus(seed: 42);
    var benchmarks = corpus.Benchmarks(460);
    var input = Path.Combine(dir, "docs.jsonl");
    await TableWriter.WriteAsync(input, corpus.Documents(docs, benchmarks).ToList());
    GC.Collect();
    var baseline = Process.GetCurrentProcess().PeakWorkingSet64;

    var watch = Stopwatch.StartNew();
    JsonObject result;
    if (stage == "decontaminate")
    {
        var s = await DecontaminateStage.RunAsync(input, benchmarks, Path.Combine(dir, "clean.jsonl"), Path.Combine(dir, "report.json"), new DecontaminationOptions());
        var hitIds = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!["hits"]!.AsArray().Select(h => h!["id"]!.GetValue<string>()).ToHashSet();
        result = new JsonObject
        {
            ["removed"] = s.Removed, ["hits"] = s.Hits, ["planted"] = corpus.PlantedIds.Count,
            ["planted_found"] = corpus.PlantedIds.Count(hitIds.Contains), ["other_removed"] = hitIds.Count(id => !corpus.PlantedIds.Contains(id)),
            ["benchmark_problems"] = benchmarks.Count,
        };
    }
    else
    {
        var s = await DedupStage.RunAsync(input, Path.Combine(dir, "dedup.jsonl"), new DedupOptions());
        result = new JsonObject { ["removed"] = s.Removed, ["planted_duplicates"] = corpus.Duplicates };
    }
    watch.Stop();
    using var self = Process.GetCurrentProcess();
    var line = new JsonObject
    {
        ["name"] = "data." + stage,
        ["docs"] = docs,
        ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2),
        ["docs_per_s"] = Math.Round(docs / watch.Elapsed.TotalSeconds, 0),
        ["peak_mb"] = Math.Round(self.PeakWorkingSet64 / 1048576.0, 0),
        ["peak_mb_before_stage"] = Math.Round(baseline / 1048576.0, 0),
        ["input_mb"] = Math.Round(new FileInfo(input).Length / 1048576.0, 1),
        ["cores"] = Environment.ProcessorCount,
    };
    foreach (var (k, v) in result) line[k] = v?.DeepClone();
    Console.WriteLine("BENCH " + line.ToJsonString());
    return 0;
}
finally
{
    // QED_BENCH_KEEP=1 keeps the documents, outputs and report for inspection.
    if (Environment.GetEnvironmentVariable("QED_BENCH_KEEP") == "1") Console.Error.WriteLine("kept " + dir);
    else Directory.Delete(dir, recursive: true);
}

/// <summary>
/// Olympiad-flavoured synthetic problems: random sentences over a math vocabulary with formulas. A fixed
/// share of documents are near-copies of other documents (for dedup) or of benchmark problems (for
/// decontamination), so both stages do real work and their removals can be checked against what was planted.
/// </summary>
internal sealed class SyntheticCorpus(int seed)
{
    private static readonly string[] Openers = ["Let", "Suppose", "Prove that", "Show that", "Determine all", "Find all", "Consider", "Given"];
    private static readonly string[] Nouns = ["integers", "real numbers", "triangle", "polynomial", "sequence", "function", "circle", "graph", "set", "prime", "matrix", "permutation", "quadrilateral", "tangent", "divisor", "coloring"];
    private static readonly string[] Words = ["such", "that", "for", "every", "positive", "there", "exists", "at", "least", "most", "one", "two", "the", "of", "and", "with", "is", "are", "which", "where", "whose", "equal", "sum", "product", "distinct", "odd", "even", "point", "line", "side", "angle", "length", "value", "maximum", "minimum", "inequality", "holds", "if", "only", "if", "not", "divisible", "by", "square", "cube", "coprime", "consecutive", "terms", "vertices", "edges"];
    private readonly Random _random = new(seed);

    public HashSet<string> PlantedIds { get; } = new();
    public int Duplicates { get; private set; }

    private string Formula()
    {
        var v = "abcnmxyzpqk"[_random.Next(11)];
        return _random.Next(4) switch
        {
            0 => $"${v}^{_random.Next(2, 9)} + {_random.Next(1, 99)}{v} \\leq {_random.Next(100, 9999)}$",
            1 => $"$f({v} + f({v})) = {_random.Next(2, 7)}f({v})$",
            2 => $"$\\frac{{{v}}}{{{_random.Next(2, 50)}}} \\geq \\sqrt{{{v}}}$",
            _ => $"${v}_{{{_random.Next(1, 9)}}} = {_random.Next(1, 2025)}$",
        };
    }

    private string Sentence()
    {
        var parts = new List<string> { Openers[_random.Next(Openers.Length)] };
        var n = _random.Next(10, 22);
        for (var i = 0; i < n; i++)
            parts.Add(_random.Next(6) switch { 0 => Nouns[_random.Next(Nouns.Length)], 1 => Formula(), _ => Words[_random.Next(Words.Length)] });
        return string.Join(' ', parts) + ".";
    }

    private string Problem() => string.Join(' ', Enumerable.Range(0, _random.Next(3, 6)).Select(_ => Sentence()));

    /// <summary>A light edit: a few words dropped or swapped, spacing and case changed.</summary>
    private string Perturb(string text)
    {
        var words = text.Split(' ').ToList();
        for (var i = 0; i < Math.Max(1, words.Count / 40); i++) words.RemoveAt(_random.Next(words.Count));
        return string.Join("  ", words).Replace("Prove", "prove");
    }

    public List<BenchmarkText> Benchmarks(int count) =>
        Enumerable.Range(0, count).Select(i => new BenchmarkText("synthetic-bench", $"SB-{i:D3}", Problem())).ToList();

    public IEnumerable<JsonObject> Documents(int count, IReadOnlyList<BenchmarkText> benchmarks)
    {
        var recent = new List<string>();
        for (var i = 0; i < count; i++)
        {
            string text;
            var roll = _random.NextDouble();
            if (roll < 0.01) { text = Perturb(benchmarks[_random.Next(benchmarks.Count)].Text); PlantedIds.Add($"doc-{i}"); }
            else if (roll < 0.11 && recent.Count > 0) { text = Perturb(recent[_random.Next(recent.Count)]); Duplicates++; }
            else
            {
                text = Problem();
                if (recent.Count < 5000) recent.Add(text); else recent[_random.Next(recent.Count)] = text;
            }
            yield return new JsonObject { ["id"] = $"doc-{i}", ["problem"] = text };
        }
    }
}
