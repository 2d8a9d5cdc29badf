// Answer-equivalence throughput: cases per second on one thread over the shared cases, and peak memory.
// Usage: dotnet run -c Release --project bench/Qed.Bench.Answers [-- --cases FILE.jsonl] [--seconds N] [--misses]
// [--baseline DIR] compares with another build of Qed.Core in the same run (BaselineComparison.cs).
// (--misses lists the cases that disagree with their expected verdict; with --seconds 0 it stops there)
// Prints one line: BENCH {"name":"answer_equivalence",...}; cases_per_cpu_s divides by this process's CPU time,
// which stays meaningful on a shared machine where wall-clock cases_per_s drops with the load average.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Qed.Answers;

var casesPath = ArgValue("--cases") ?? DefaultCases();
var seconds = double.Parse(ArgValue("--seconds") ?? "5", CultureInfo.InvariantCulture);
if (casesPath is null || !File.Exists(casesPath))
{
    Console.Error.WriteLine($"bench: cases file not found ({casesPath ?? "../shared/data/answer-equivalence/cases.jsonl"}); pass --cases FILE.jsonl");
    return 1;
}

var cases = new List<AnswerCase>();
await foreach (var c in AnswerCaseFile.ReadAsync(casesPath)) cases.Add(c);

if (args.Contains("--misses"))
{
    // Which cases disagree with their expected verdict, and why: the list to work from when adding a notation.
    var misses = 0;
    foreach (var c in cases)
    {
        var check = AnswerChecker.Check(c.Gold, c.Pred, c.Options);
        if (c.Expected is not { } want || (check.Verdict == AnswerVerdict.Equivalent) == want) continue;
        misses++;
        Console.WriteLine($"line {c.Line}: expected {(want ? "equivalent" : "not equivalent")}, got {check.Verdict}: " +
            $"gold [{check.GoldParsed}] pred [{check.PredParsed}] ({check.Reason})");
    }
    Console.WriteLine($"{misses} of {cases.Count} cases disagree");
    if (seconds <= 0) return misses == 0 ? 0 : 1;
}

// Warm-up: JIT, tiered compilation and regex construction are not what we measure.
int agreeing = 0, withExpected = 0;
for (var round = 0; round < 30; round++)
    foreach (var c in cases)
    {
        var v = AnswerChecker.Check(c.Gold, c.Pred, c.Options).Verdict;
        if (round == 0 && c.Expected is { } e) { withExpected++; if ((v == AnswerVerdict.Equivalent) == e) agreeing++; }
    }

if (args.Contains("--profile"))
{
    // Where the time goes: mean microseconds per case, slowest first.
    var times = cases.Select(c =>
    {
        var start = Stopwatch.GetTimestamp();
        for (var k = 0; k < 50; k++) AnswerChecker.Check(c.Gold, c.Pred, c.Options);
        return (Line: c.Line, Us: Stopwatch.GetElapsedTime(start).TotalMicroseconds / 50, Length: c.Gold.Length + c.Pred.Length);
    }).OrderByDescending(x => x.Us).Take(15);
    foreach (var t in times) Console.WriteLine($"line {t.Line}: {t.Us:0} us ({t.Length} chars)");
}

GC.Collect();
var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
using var self = Process.GetCurrentProcess();
var cpuBefore = self.TotalProcessorTime;
var clock = Stopwatch.StartNew();
long checkedCount = 0;
var slowest = 0.0;
while (clock.Elapsed.TotalSeconds < seconds)
    foreach (var c in cases)
    {
        var start = Stopwatch.GetTimestamp();
        AnswerChecker.Check(c.Gold, c.Pred, c.Options);
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (ms > slowest) slowest = ms;
        checkedCount++;
    }
clock.Stop();
self.Refresh();
var cpuSeconds = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
using var process = Process.GetCurrentProcess();
process.Refresh();

var result = new Dictionary<string, object>
{
    ["name"] = "answer_equivalence",
    ["cases"] = cases.Count,
    ["checks"] = checkedCount,
    ["threads"] = 1,
    ["cases_per_s"] = Math.Round(checkedCount / clock.Elapsed.TotalSeconds, 1),
    // Per second of this process's CPU time: stable when other processes compete for the cores.
    ["cases_per_cpu_s"] = Math.Round(checkedCount / Math.Max(cpuSeconds, 1e-9), 1),
    ["load_average"] = LoadAverage(),
    ["mean_us"] = Math.Round(clock.Elapsed.TotalMilliseconds * 1000 / checkedCount, 1),
    ["max_ms"] = Math.Round(slowest, 2),
    ["allocated_kb_per_case"] = Math.Round(allocated / 1024.0 / checkedCount, 1),
    ["peak_working_set_mb"] = Math.Round(process.PeakWorkingSet64 / 1048576.0, 1),
    ["agreement"] = withExpected == 0 ? "n/a" : $"{agreeing}/{withExpected}",
};
// --baseline DIR: the same cases checked by another build of Qed.Core in alternating slices (before/after in one run).
if (ArgValue("--baseline") is { } baselineDir)
    foreach (var (key, value) in BaselineComparison.Run(baselineDir, cases, seconds)) result[key] = value;
Console.WriteLine("BENCH " + JsonSerializer.Serialize(result));
return 0;

string? ArgValue(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static double LoadAverage()
{
    try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture); }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return -1; }
}

static string? DefaultCases()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"))) dir = dir.Parent;
    var env = Environment.GetEnvironmentVariable("QED_SHARED_DIR");
    var shared = !string.IsNullOrEmpty(env) ? env : dir is null ? null : Path.Combine(dir.FullName, "..", "shared");
    return shared is null ? null : Path.GetFullPath(Path.Combine(shared, "data", "answer-equivalence", "cases.jsonl"));
}
