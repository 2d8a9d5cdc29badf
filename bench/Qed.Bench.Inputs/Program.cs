// Memory and latency of `qed run` on inputs far larger than the work (issue 15, item 4). Runs the real CLI as a
// process against a loopback OpenAI-compatible server and samples the child's peak RSS (VmHWM) from /proc.
// Prints one BENCH line per figure:
//   BENCH {"name":"inputs.run_limit_10_of_1m_rows","rows":1000000,"peak_rss_mb":...,"first_request_s":...}
//   BENCH {"name":"inputs.run_1m_rows_streaming","rows":1000000,"peak_rss_mb":...,"first_request_s":...,"samples_at_first_request":...}
//   BENCH {"name":"inputs.row_of_200mb","peak_rss_mb":...,"exit_code":1,"error":"...:2: field 'problem' is longer than ..."}
// Usage: Qed.Bench.Inputs [--rows N] [--seconds S]   (build src/Qed.Cli in Release first)
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Qed.Testing;

var rows = 1_000_000;
var seconds = 20;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--rows") rows = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--seconds") seconds = int.Parse(args[++i], CultureInfo.InvariantCulture);
}

using var dir = new TempDirectory();
await using var server = await LoopbackChatServer.StartAsync(_ => ScriptedReply.Text("Proof. It follows. QED"));
server.RecordRequests = false;
var model = dir.Write("m.yaml", $"model: m\nbase_url: {server.BaseUrl}\nmax_retries: 0\n");

// The generated file: one short problem per row, ~110 bytes a row.
var big = dir.File("problems.csv");
await using (var w = new StreamWriter(big, false, new UTF8Encoding(false), 1 << 20))
{
    await w.WriteLineAsync("problem_id,problem");
    for (var i = 1; i <= rows; i++)
        await w.WriteLineAsync($"p{i:0000000},\"Problem {i}: prove that the sum of the first {i} odd numbers is a perfect square, and name it.\"");
}
var fileMb = new FileInfo(big).Length / 1048576.0;

// 1. --limit 10 on the whole file.
{
    var firstAt = FirstRequestWatch(server);
    var (code, peak, wall, stderr) = await RunAsync(dir.Path, TimeSpan.FromMinutes(5), null,
        "run", "--bench", big, "--model", model, "--limit", "10", "--db", dir.File("limit.db"));
    Print("inputs.run_limit_10_of_1m_rows", new JsonObject
    {
        ["rows"] = rows, ["file_mb"] = Math.Round(fileMb, 1), ["exit_code"] = code, ["peak_rss_mb"] = peak,
        ["first_request_s"] = firstAt(), ["wall_s"] = Math.Round(wall, 2), ["requests"] = server.RequestCount,
        ["target"] = "peak_rss_mb < 200 and first_request_s < 5",
    }, code == 0 ? null : stderr);
}

// 2. The whole file for a while: requests start while samples are still being inserted; memory stays bounded.
{
    var before = server.RequestCount;
    var db = dir.File("all.db");
    long samplesAtFirst = -1;
    var first = new TaskCompletionSource<double>();
    var clock = Stopwatch.StartNew();
    server.Responder = _ =>
    {
        if (!first.Task.IsCompleted && first.TrySetResult(clock.Elapsed.TotalSeconds)) samplesAtFirst = CountSamples(db);
        return ScriptedReply.Text("Proof. It follows. QED");
    };
    var (code, peak, wall, stderr) = await RunAsync(dir.Path, TimeSpan.FromSeconds(seconds), clock,
        "run", "--bench", big, "--model", model, "--db", db, "--concurrency", "64");
    Print("inputs.run_1m_rows_streaming", new JsonObject
    {
        ["rows"] = rows, ["stopped_after_s"] = seconds, ["peak_rss_mb"] = peak,
        ["first_request_s"] = first.Task.IsCompleted ? Math.Round(first.Task.Result, 2) : null,
        ["samples_at_first_request"] = samplesAtFirst, ["samples_at_stop"] = CountSamples(db),
        ["requests"] = server.RequestCount - before, ["exit_code"] = code,
    }, null);
}

// 3. One 200 MB row.
{
    var huge = dir.File("huge.csv");
    await using (var w = new StreamWriter(huge, false, new UTF8Encoding(false), 1 << 20))
    {
        await w.WriteAsync("problem_id,problem\np1,\"");
        var chunk = new string('x', 1 << 20);
        for (var i = 0; i < 200; i++) await w.WriteAsync(chunk);
        await w.WriteLineAsync("\"");
    }
    var (code, peak, wall, stderr) = await RunAsync(dir.Path, TimeSpan.FromMinutes(5), null,
        "run", "--bench", huge, "--model", model, "--db", dir.File("huge.db"));
    Print("inputs.row_of_200mb", new JsonObject
    {
        ["file_mb"] = Math.Round(new FileInfo(huge).Length / 1048576.0, 1), ["exit_code"] = code, ["peak_rss_mb"] = peak,
        ["wall_s"] = Math.Round(wall, 2), ["error"] = stderr.Trim(), ["stack_trace"] = stderr.Contains("   at "),
    }, null);
}
return 0;

static Func<double?> FirstRequestWatch(LoopbackChatServer server)
{
    var clock = Stopwatch.StartNew();
    double? first = null;
    server.Responder = _ =>
    {
        first ??= clock.Elapsed.TotalSeconds;
        return ScriptedReply.Text("Proof. It follows. QED");
    };
    return () => first is { } f ? Math.Round(f, 2) : null;
}

// Runs qed, sampling its peak RSS every 20 ms; stops it (SIGKILL) when the time is up.
static async Task<(int Code, double PeakRssMb, double WallS, string StdErr)> RunAsync(string cwd, TimeSpan limit, Stopwatch? clock, params string[] args)
{
    var watch = Stopwatch.StartNew();
    clock?.Restart();
    using var p = QedProcess.Start(cwd, null, args);
    var stderr = p.StandardError.ReadToEndAsync();
    _ = p.StandardOutput.ReadToEndAsync();
    double peak = 0;
    while (!p.HasExited && watch.Elapsed < limit)
    {
        peak = Math.Max(peak, VmHwmMb(p.Id));
        await Task.Delay(20);
    }
    if (!p.HasExited) { peak = Math.Max(peak, VmHwmMb(p.Id)); p.Kill(entireProcessTree: true); }
    await p.WaitForExitAsync();
    return (p.ExitCode, Math.Round(peak, 1), watch.Elapsed.TotalSeconds, await stderr);
}

static double VmHwmMb(int pid)
{
    try
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
    }
    catch (IOException) { }
    return 0;
}

static long CountSamples(string db)
{
    if (!File.Exists(db)) return 0;
    try
    {
        using var c = new SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM samples";
        return (long)cmd.ExecuteScalar()!;
    }
    catch (SqliteException) { return -1; }
}

static void Print(string name, JsonObject fields, string? error)
{
    var line = new JsonObject { ["name"] = name };
    foreach (var (k, v) in fields) line[k] = v?.DeepClone();
    line["load_avg"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : null;
    if (error is not null) line["stderr"] = error.Trim();
    Console.WriteLine("BENCH " + line.ToJsonString());
}
