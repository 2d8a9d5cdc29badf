// Throughput of the GRPO loop on this CPU with the shipped toy config (configs/train/grpo-tiny.yaml):
// steps per minute, rollout tokens per second, and the share of step time the trainer spends waiting for
// rollouts versus training — with the synchronous loop (max_lag 0) and the asynchronous pipeline (max_lag 1).
// Prints one BENCH line per run:
//   BENCH {"name":"rl.grpo-tiny","max_lag":1,"steps":60,"steps_per_min":...,"rollout_tokens_per_s":...,"wait_share":...,"train_share":...}
// Usage: Qed.Bench.Rl [--steps N] [--max-new-tokens N]
using System.Globalization;
using System.Text.Json.Nodes;
using Qed.Training.Checkpoints;
using Qed.Training.Rl;

int steps = 60;
int? maxNewTokens = null;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--steps") steps = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--max-new-tokens") maxNewTokens = int.Parse(args[++i], CultureInfo.InvariantCulture);
}

var root = AppContext.BaseDirectory;
while (!File.Exists(Path.Combine(root, "Qed.slnx"))) root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("run inside the repository");
var config = Path.Combine(root, "configs", "train", "grpo-tiny.yaml");

foreach (var maxLag in new[] { 0, 1 })
{
    var outDir = Path.Combine(Path.GetTempPath(), "qed-bench-rl-" + Guid.NewGuid().ToString("N")[..8]);
    try
    {
        var options = GrpoOptionsLoader.Load(config, outDir, ModelDirectory.Resolve) with { MaxLag = maxLag, Steps = steps, SaveEvery = 0 };
        if (maxNewTokens is { } m) options = options with { MaxNewTokens = m };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await new GrpoTrainer(options).RunAsync(null, null, CancellationToken.None);
        var total = clock.Elapsed.TotalSeconds;
        var metrics = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        // Step 1 waits for the first batch on a cold engine; the steady state is steps 2..N.
        var steady = metrics.Skip(1).ToList();
        double Sum(IEnumerable<JsonNode> ms, string f) => ms.Sum(x => x[f]!.GetValue<double>());
        double stepTime = Sum(steady, "step_s");
        var line = new JsonObject
        {
            ["name"] = "rl.grpo-tiny",
            ["max_lag"] = maxLag,
            ["steps"] = steps,
            ["samples_per_step"] = options.SamplesPerStep,
            ["max_new_tokens"] = options.MaxNewTokens,
            ["wall_s"] = Math.Round(total, 2),
            ["steps_per_min"] = Math.Round(steady.Count / stepTime * 60, 1),
            ["rollout_tokens_per_s"] = Math.Round(Sum(metrics, "completion_tokens") / Sum(metrics, "generation_s"), 1),
            ["wait_share"] = Math.Round(Sum(steady, "wait_s") / stepTime, 3),
            ["train_share"] = Math.Round(Sum(steady, "train_s") / stepTime, 3),
            ["first_step_s"] = Math.Round(metrics[0]["step_s"]!.GetValue<double>(), 2),
            ["reward_first"] = Math.Round(result.FirstRewardMean, 3),
            ["reward_last"] = Math.Round(result.LastRewardMean, 3),
        };
        Console.WriteLine("BENCH " + line.ToJsonString());
    }
    finally
    {
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
    }
}
