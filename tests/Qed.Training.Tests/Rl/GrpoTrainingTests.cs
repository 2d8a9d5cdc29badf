using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Testing;
using Qed.Training.Checkpoints;
using Qed.Training.Rl;

namespace Qed.Training.Tests.Rl;

/// <summary>The shipped toy config end to end: learning, metrics, and kill-and-resume.</summary>
public class GrpoTrainingTests
{
    private static string TinyConfig => Path.Combine(RepoPaths.Root, "configs", "train", "grpo-tiny.yaml");

    // Threads 0: keep the test process's one intra-op thread (TestThreads) rather than the config's 2.
    private static GrpoOptions Tiny(string outDir) => GrpoOptionsLoader.Load(TinyConfig, outDir, ModelDirectory.Resolve) with { Threads = 0 };

    private static List<JsonObject> Metrics(string outDir) =>
        File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public async Task Tiny_policy_raises_its_mean_reward_on_the_toy_task()
    {
        using var dir = new TempDirectory();
        var result = await new GrpoTrainer(Tiny(dir.Path)).RunAsync(null, null, CancellationToken.None);

        var metrics = Metrics(dir.Path);
        metrics.Should().HaveCount(60);
        metrics.Select(m => (long)m["step"]!).Should().Equal(Enumerable.Range(1, 60).Select(i => (long)i));
        foreach (var field in new[] { "reward_mean", "reward_std", "success_rate", "truncation_rate", "entropy", "ratio_mean", "clip_fraction",
                     "effective_sample_size", "judge_latency_s", "judge_failures", "tokens_per_s", "policy_lag" })
            metrics[0].ContainsKey(field).Should().BeTrue(field);
        double Mean(IEnumerable<JsonObject> ms) => ms.Average(m => (double)m["reward_mean"]!);
        var early = Mean(metrics.Take(10));
        var late = Mean(metrics.TakeLast(10));
        late.Should().BeGreaterThan(early + 0.25, $"reward should rise clearly (first 10 steps {early:F3}, last 10 {late:F3})");
        metrics.Skip(1).Should().OnlyContain(m => (double)m["policy_lag"]! == 1.0, "max_lag 1: each step trains on rollouts one version old");
        File.Exists(Path.Combine(dir.Path, "model.safetensors")).Should().BeTrue();
        File.Exists(Path.Combine(dir.Path, "config.json")).Should().BeTrue();
        result.LastRewardMean.Should().Be((double)metrics[^1]["reward_mean"]!);
    }

    /// <summary>
    /// With max_lag 0 sampling and training strictly alternate, so the resumed run must match bit for bit. With
    /// max_lag 1 they overlap on the CPU's thread pool, where libtorch's parallel reductions may split work
    /// differently from run to run: the rollouts (and so every reward) must still match exactly, the weights to well under one optimiser step.
    /// </summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task A_killed_run_resumes_from_its_checkpoint_and_ends_with_the_same_weights(int maxLag)
    {
        using var straight = new TempDirectory();
        using var killed = new TempDirectory();
        GrpoOptions Short(string dir) => Tiny(dir) with { Steps = 7, SaveEvery = 2, SamplesPerStep = 32, MaxLag = maxLag };

        await new GrpoTrainer(Short(straight.Path)).RunAsync(null, null, CancellationToken.None);

        using var kill = new CancellationTokenSource();
        var stopAtFive = new SyncProgress(p => { if (p.Step == 5) kill.Cancel(); });
        var interrupted = () => new GrpoTrainer(Short(killed.Path)).RunAsync(stopAtFive, null, kill.Token);
        await interrupted.Should().ThrowAsync<OperationCanceledException>();
        Directory.Exists(Path.Combine(killed.Path, "checkpoint-4")).Should().BeTrue();
        // Step 5 samples with version 4 − max_lag: with max_lag 1 the checkpoint carries version 3 for it.
        File.Exists(Path.Combine(killed.Path, "checkpoint-4", "rollout_policy_v3.safetensors")).Should().Be(maxLag == 1);
        File.Exists(Path.Combine(killed.Path, "model.safetensors")).Should().BeFalse();

        // A resumed process starts a new TensorBoard event file named by (second, host, pid); in one test process
        // the second must change first.
        await Task.Delay(1100);
        var resumed = await new GrpoTrainer(Short(killed.Path)).RunAsync(null, null, CancellationToken.None);
        resumed.ResumedFrom.Should().Be(4);

        Metrics(killed.Path).Select(m => (long)m["step"]!).Should().Equal(1, 2, 3, 4, 5, 6, 7);
        Metrics(killed.Path).Select(m => (double)m["reward_mean"]!).Should().Equal(Metrics(straight.Path).Select(m => (double)m["reward_mean"]!));
        using var a = SafetensorsCheckpoint.Open(straight.Path);
        using var b = SafetensorsCheckpoint.Open(killed.Path);
        foreach (var name in a.Names)
        {
            var (expected, actual) = (a.ReadSingles(name), b.ReadSingles(name));
            if (maxLag == 0) actual.Should().Equal(expected, $"weight {name} after resume");
            else expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max().Should().BeLessThan(1e-3f, $"weight {name} after resume (lr 3e-3: well under one Adam step)");
        }
    }

    [Fact]
    public void Config_errors_name_the_file_line_and_field()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("bad.yaml", File.ReadAllText(TinyConfig) + "\nlearning_rate: 0.1\n");
        var load = () => GrpoOptionsLoader.Load(path, dir.Path, ModelDirectory.Resolve);
        load.Should().Throw<QedException>().WithMessage($"*bad.yaml:*field 'learning_rate'*unknown field*");

        var bad = dir.Write("bad2.yaml", File.ReadAllText(TinyConfig).Replace("samples_per_step: 128", "samples_per_step: 100"));
        var load2 = () => GrpoOptionsLoader.Load(bad, dir.Path, ModelDirectory.Resolve);
        load2.Should().Throw<QedException>().WithMessage("*field 'samples_per_step'*multiple of group_size*");
    }

    private sealed class SyncProgress(Action<GrpoProgress> report) : IProgress<GrpoProgress>
    {
        public void Report(GrpoProgress value) => report(value);
    }
}
