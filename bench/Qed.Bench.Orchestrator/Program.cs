// Orchestrator overhead: N requests at concurrency C through the full chat pipeline (metering, global cap,
// context-overflow layer, retry, HTTP client with endpoint pool) against a zero-latency loopback server,
// each recorded as a step in a run store through SolverContext.CallAsync, as the runner does.
// The server runs in the same process, so the latencies reported include its handling time: an upper bound
// of the orchestrator's own overhead. Usage: [requests] [concurrency] [--no-store]. Prints one BENCH line.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;
using Qed.Solvers;
using Qed.Testing;

var requests = args.Length > 0 ? int.Parse(args[0]) : 10_000;
var concurrency = args.Length > 1 ? int.Parse(args[1]) : 256;
var withStore = !(args.Length > 2 && args[2] == "--no-store");

await using var server = await LoopbackChatServer.StartAsync(_ => ScriptedReply.Text("Proof. Done."));
server.RecordRequests = false;
using var factory = new ChatClientFactory(new ChatClientFactoryOptions { GlobalConcurrency = concurrency });
var model = factory.Create(ModelConfigLoader.Parse("bench.yaml",
    $"model: bench\nbase_url: {server.BaseUrl}\nconcurrent_requests: {concurrency}\nmax_tokens: 100\n"));
var dbPath = Path.Combine(Path.GetTempPath(), $"qed-bench-{Guid.NewGuid():N}.db");
await using var store = await RunStore.OpenAsync(dbPath);
await store.EnsureRunAsync(new RunInfo("bench", "bench", "Proof", "bench", "{}", null, null, "", DateTimeOffset.UtcNow));

// Warm-up: connections, JIT.
for (var i = 0; i < 200; i++) await model.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "warm-up")]);

var latencies = new double[requests];
var peakRss = 0L;
using var sampler = new Timer(_ =>
{
    var rss = Process.GetCurrentProcess().WorkingSet64;
    if (rss > Interlocked.Read(ref peakRss)) Interlocked.Exchange(ref peakRss, rss);
}, null, 0, 50);

var clock = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
{
    var problem = new Problem($"p{i}", $"Problem {i}");
    var sampleId = $"s{i}";
    if (!withStore)
    {
        var t0 = Stopwatch.GetTimestamp();
        await model.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, problem.Statement)], null, ct);
        latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        return;
    }
    await store.AddSampleAsync(sampleId, "bench", problem, 0, ct);
    var context = new SolverContext(store, "bench", sampleId, problem, 0, model);
    var started = Stopwatch.GetTimestamp();
    await context.CallAsync("generate", "solver", [new ChatMessage(ChatRole.User, problem.Statement)], null, ct);
    latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    await store.CompleteSampleAsync(sampleId, SampleStatus.Ok, "Proof. Done.", null, null, context.Usage, 0, ct);
});
clock.Stop();
peakRss = Math.Max(peakRss, Process.GetCurrentProcess().WorkingSet64);

// Added latency: one request at a time (no queueing), through the bare pipeline and through the full step
// recording (find step, call, save step and usage in the store, complete the sample).
Array.Sort(latencies);
var sequential = Math.Min(requests, 2000);
var bare = new double[sequential];
for (var i = 0; i < sequential; i++)
{
    var started = Stopwatch.GetTimestamp();
    await model.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, "x")]);
    bare[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
Array.Sort(bare);
var recorded = new double[withStore ? sequential : 0];
for (var i = 0; i < recorded.Length; i++)
{
    var problem = new Problem($"q{i}", $"Sequential problem {i}");
    var started = Stopwatch.GetTimestamp();
    await store.AddSampleAsync($"q{i}", "bench", problem, 0);
    var context = new SolverContext(store, "bench", $"q{i}", problem, 0, model);
    await context.CallAsync("generate", "solver", [new ChatMessage(ChatRole.User, problem.Statement)]);
    await store.CompleteSampleAsync($"q{i}", SampleStatus.Ok, "Proof. Done.", null, null, context.Usage, 0);
    recorded[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
Array.Sort(recorded);

Console.WriteLine("BENCH " + JsonSerializer.Serialize(new
{
    name = withStore ? "orchestrator_overhead" : "orchestrator_overhead_no_store",
    requests,
    concurrency,
    requests_per_s = Math.Round(requests / clock.Elapsed.TotalSeconds, 1),
    median_latency_ms_at_concurrency = Math.Round(latencies[requests / 2], 3),
    median_added_latency_ms = Math.Round(bare[bare.Length / 2], 3),
    median_added_latency_with_store_ms = recorded.Length == 0 ? (double?)null : Math.Round(recorded[recorded.Length / 2], 3),
    p99_latency_ms_at_concurrency = Math.Round(latencies[(int)(requests * 0.99)], 3),
    peak_rss_mb = Math.Round(peakRss / 1048576.0, 1),
    note = "added latency: one request at a time to a zero-latency loopback server in the same process (its handling time included); _with_store adds the step recording",
}));
store.Dispose();
foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm" }) File.Delete(f);
