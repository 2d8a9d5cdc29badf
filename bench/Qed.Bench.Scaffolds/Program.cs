// Orchestration overhead of a reasoning-cache run that spends 1,000,000 output tokens against a zero-latency loopback
// model: every attempt returns ~200 KB of text (thinking + proof, reported as 50,000 tokens), every summary ~4 KB
// (1,000 tokens). Everything is real except the model: HTTP, reply parsing, the run store (SQLite, every step
// recorded), budgets and step keys. Prints one BENCH line. The loopback server runs in this process, so the memory
// figures include it. Usage: dotnet run -c Release --project bench/Qed.Bench.Scaffolds [-- ITERATIONS]
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;
using Qed.Scaffolds;
using Qed.Solvers;
using Qed.Testing;

var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20;
const int AttemptTokens = 50_000, SummaryTokens = 1_000;

static string Text(string seed, int chars)
{
    var sb = new StringBuilder(chars + 100);
    for (var i = 0; sb.Length < chars; i++) sb.Append(seed).Append(' ').Append(i).Append(": since a + b is even, the claim follows. ");
    return sb.ToString(0, chars);
}
var thinking = Text("thinking", 160_000);
var proof = Text("proof", 40_000);
var summary = Text("summary", 4_000);

await using var server = await LoopbackChatServer.StartAsync(r =>
    (r.LastUserMessage ?? "").Contains("Reasoning of the latest attempt")
        ? ScriptedReply.Text(summary) with { CompletionTokens = SummaryTokens, PromptTokens = 45_000 }
        : ScriptedReply.Text(proof, thinking) with { CompletionTokens = AttemptTokens, PromptTokens = 2_000 });
server.RecordRequests = false;

var dir = Path.Combine(Path.GetTempPath(), "qed-bench-scaffolds-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(dir);
try
{
    using var factory = new ChatClientFactory(new ChatClientFactoryOptions { GlobalConcurrency = 64 });
    var model = factory.Create(ModelConfigLoader.Parse("bench.yaml", $"model: bench\nbase_url: {server.BaseUrl}\nmax_retries: 0\n"));
    var scaffoldPath = Path.Combine(dir, "rc.yaml");
    await File.WriteAllTextAsync(scaffoldPath, $"type: reasoning-cache\nn_iterations: {iterations}\nbudget:\n  max_output_tokens: 2000000\n");
    var resolved = await new ScaffoldRegistry().ResolveAsync(scaffoldPath, GradingMode.Proof, new PromptLibrary(), factory, CancellationToken.None);
    var problem = new Problem("bench", "Prove that the sum of two odd integers is even.");

    var process = Process.GetCurrentProcess();
    double Rss() { process.Refresh(); return process.WorkingSet64 / 1048576.0; }
    var rss = new List<double>();
    var managed = new List<double>();
    void Sample(StepResult _)
    {
        lock (rss)
        {
            rss.Add(Rss());
            managed.Add(GC.GetTotalMemory(false) / 1048576.0);
        }
    }

    var clock = Stopwatch.StartNew();
    AttemptOutcome outcome;
    await using (var store = await RunStore.OpenAsync(Path.Combine(dir, "runs.db")))
        outcome = await ProblemAttempt.RunAsync(store, "bench", problem, 0, model, resolved, Sample, CancellationToken.None);
    var wall = clock.Elapsed.TotalSeconds;
    if (outcome.Sample.Status != SampleStatus.Ok) throw new InvalidOperationException($"run ended {outcome.Sample.Status}: {outcome.Sample.Error}");

    // Resume cost: the same attempt again, with its sample reset to pending, replays every step from the store.
    await using (var store = await RunStore.OpenAsync(Path.Combine(dir, "runs.db")))
    {
        await store.ReopenSampleAsync(outcome.Sample.SampleId);
        clock.Restart();
        await ProblemAttempt.RunAsync(store, "bench", problem, 0, model, resolved, null, CancellationToken.None);
    }
    var replay = clock.Elapsed.TotalMilliseconds;

    var calls = outcome.Sample.Usage.Calls;
    var quarter = Math.Max(1, rss.Count / 4);
    Console.WriteLine("BENCH " + new JsonObject
    {
        ["name"] = "scaffolds.reasoning_cache_1m_tokens",
        ["iterations"] = iterations,
        ["calls"] = calls,
        ["output_tokens"] = outcome.Sample.Usage.OutputTokens,
        ["reply_bytes_total"] = (long)iterations * (thinking.Length + proof.Length) + (long)(iterations - 1) * summary.Length,
        ["wall_s"] = Math.Round(wall, 3),
        ["ms_per_call_incl_loopback_server"] = Math.Round(wall * 1000 / calls, 2),
        ["rss_mb_after_first_quarter"] = Math.Round(rss.Take(quarter).Max(), 1),
        ["rss_mb_peak_during_run"] = Math.Round(rss.Max(), 1),
        ["rss_mb_at_end"] = Math.Round(rss[^1], 1),
        ["managed_mb_max"] = Math.Round(managed.Max(), 1),
        ["peak_working_set_mb"] = Math.Round(Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, 1),
        ["resume_replay_ms"] = Math.Round(replay, 1),
    }.ToJsonString());
}
finally
{
    try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
}
