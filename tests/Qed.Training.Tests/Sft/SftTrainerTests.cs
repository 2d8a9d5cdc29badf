using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Testing;
using Qed.Training.Checkpoints;
using Qed.Training.Sft;

namespace Qed.Training.Tests.Sft;

public class SftTrainerTests
{
    internal static string Config(string dir, string extra)
    {
        var path = Path.Combine(dir, "sft.yaml");
        File.WriteAllText(path, $"""
            model_config: {Path.Combine(RepoPaths.Root, "configs", "train", "tiny-qwen3.json")}
            tokenizer: {TinyModels.Tokenizer}
            data: {Path.Combine(TinyModels.Fixtures, "sft-tiny.jsonl")}
            max_seq_len: 256
            micro_batch_size: 4
            lr: 3.0e-3
            warmup_steps: 5
            min_lr_ratio: 0.1
            threads: 1
            {extra}
            """);
        return path;
    }

    private static SftOptions Load(string config, string @out) => SftOptionsLoader.Load(config, @out, ModelDirectory.Resolve);

    private static List<JsonObject> Metrics(string dir) =>
        File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public async Task Overfits_a_small_dataset()
    {
        var dir = TinyModels.TempDir();
        var options = Load(Config(dir, "epochs: 16"), Path.Combine(dir, "out"));
        var result = await new SftTrainer(options).RunAsync(null, null, CancellationToken.None);

        var metrics = Metrics(options.Out);
        metrics.Should().HaveCount((int)result.Steps);
        metrics[0]["loss"]!.GetValue<double>().Should().BeGreaterThan(4.0, "a random model over ~400 ids starts near ln(416)");
        metrics.TakeLast(6).Average(m => m["loss"]!.GetValue<double>()).Should().BeLessThan(0.6);
        metrics.Should().OnlyContain(m => m["lr"] != null && m["grad_norm"] != null && m["tokens_per_s"] != null);

        // Hugging Face layout in the output folder, and a TensorBoard event file beside the metrics.
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json" })
            File.Exists(Path.Combine(options.Out, file)).Should().BeTrue(file);
        Directory.GetFiles(options.Out, "events.out.tfevents.*").Should().ContainSingle();
        using var reloaded = Qwen3Checkpoint.Load(options.Out);
    }

    [Fact]
    public async Task A_killed_run_resumes_and_ends_with_the_same_weights_bit_for_bit()
    {
        var dir = TinyModels.TempDir();
        var config = Config(dir, "max_steps: 14\nsave_every: 4\ngrad_accum: 2\nweight_decay: 0.01");

        var straight = Load(config, Path.Combine(dir, "straight"));
        await new SftTrainer(straight).RunAsync(null, null, CancellationToken.None);

        // "Kill" after step 7: nothing is saved on the way out, so the rerun must start from checkpoint-4.
        var interrupted = Load(config, Path.Combine(dir, "interrupted"));
        using var kill = new CancellationTokenSource();
        var stopAt7 = new SyncProgress(p => { if (p.Step == 7) kill.Cancel(); });
        var first = () => new SftTrainer(interrupted).RunAsync(stopAt7, null, kill.Token);
        await first.Should().ThrowAsync<OperationCanceledException>();
        SftTrainer.Checkpoints(interrupted.Out).Select(c => c.Step).Should().Equal(4);

        var resumed = await new SftTrainer(interrupted).RunAsync(null, null, CancellationToken.None);
        resumed.ResumedFrom.Should().Be(4);

        File.ReadAllBytes(Path.Combine(interrupted.Out, "model.safetensors"))
            .Should().Equal(File.ReadAllBytes(Path.Combine(straight.Out, "model.safetensors")));
        using (var a = SafetensorsCheckpoint.Open(Path.Combine(interrupted.Out, "checkpoint-14", "optimizer.safetensors")))
        using (var b = SafetensorsCheckpoint.Open(Path.Combine(straight.Out, "checkpoint-14", "optimizer.safetensors")))
        {
            // The AdamW moments too (the torch RNG state is process-wide, and other tests in this process draw from it).
            var moments = a.Names.Where(n => n.StartsWith("exp_avg", StringComparison.Ordinal)).ToList();
            moments.Should().HaveCount(2 * 24);   // 2 layers × 11 weights + embeddings + final norm, tied head
            foreach (var name in moments) a.Bytes(name).ToArray().Should().Equal(b.Bytes(name).ToArray(), name);
        }
        var losses = Metrics(interrupted.Out).Select(m => (m["step"]!.GetValue<long>(), m["loss"]!.GetValue<double>()));
        losses.Should().Equal(Metrics(straight.Out).Select(m => (m["step"]!.GetValue<long>(), m["loss"]!.GetValue<double>())));
    }

    [Fact]
    public async Task A_different_config_in_the_same_output_folder_is_refused()
    {
        var dir = TinyModels.TempDir();
        var @out = Path.Combine(dir, "out");
        await new SftTrainer(Load(Config(dir, "max_steps: 2"), @out)).RunAsync(null, null, CancellationToken.None);
        var act = () => new SftTrainer(Load(Config(dir, "max_steps: 2\nseed: 9"), @out)).RunAsync(null, null, CancellationToken.None);
        (await act.Should().ThrowAsync<QedException>()).WithMessage("*different settings*");
    }

    [Fact]
    public void Config_errors_name_the_file_line_and_field()
    {
        var dir = TinyModels.TempDir();
        var act = () => Load(Config(dir, "adam_eps: tiny"), dir);
        act.Should().Throw<QedException>().WithMessage("*sft.yaml:10: field 'adam_eps' must be a number, got 'tiny'");
        var unknown = () => Load(Config(dir, "learning_rate: 1"), dir);
        unknown.Should().Throw<QedException>().WithMessage("*sft.yaml:10: unknown field 'learning_rate'");
    }

    [Fact]
    public void The_shipped_smoke_config_loads()
    {
        var options = SftOptionsLoader.Load(Path.Combine(RepoPaths.Root, "configs", "train", "sft-tiny.yaml"), "/tmp/x", ModelDirectory.Resolve);
        options.Data.Should().ContainSingle().Which.Should().EndWith("sft-tiny.jsonl");
        File.Exists(options.Data[0]).Should().BeTrue();
        File.Exists(Path.Combine(options.Tokenizer, "tokenizer.json")).Should().BeTrue();
    }

    internal sealed class SyncProgress(Action<SftProgress> report) : IProgress<SftProgress>
    {
        public void Report(SftProgress value) => report(value);
    }
}

/// <summary>Runs alone: it counts live tensors, which are process-wide.</summary>
[Collection(nameof(MemoryTests))]
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public class MemoryTests
{
    [Fact]
    public async Task Memory_stays_flat_over_a_thousand_steps()
    {
        var dir = TinyModels.TempDir();
        var modelConfig = Path.Combine(dir, "micro.json");
        File.WriteAllText(modelConfig, """
            {"model_type": "qwen3", "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
             "num_key_value_heads": 1, "head_dim": 16, "vocab_size": 416, "tie_word_embeddings": true, "torch_dtype": "float32"}
            """);
        var config = SftTrainerTests.Config(dir, "max_steps: 1000\nlog_every: 100\npack: false");
        File.WriteAllText(config, File.ReadAllText(config).Replace(Path.Combine(RepoPaths.Root, "configs", "train", "tiny-qwen3.json"), modelConfig));
        var live = new Dictionary<long, long>();
        var rss = new Dictionary<long, long>();
        var sample = new SftTrainerTests.SyncProgress(p =>
        {
            if (p.Step is not (200 or 1000)) return;
            live[p.Step] = TorchSharp.torch.Tensor.TotalCount;
            rss[p.Step] = Environment.WorkingSet;
        });
        await new SftTrainer(SftOptionsLoader.Load(config, Path.Combine(dir, "out"), ModelDirectory.Resolve)).RunAsync(sample, null, CancellationToken.None);

        // Every tensor a step creates is disposed by the step's scope: 800 steps later the live count has not grown
        // (it may shrink when finalizers collect set-up tensors).
        live[1000].Should().BeLessThanOrEqualTo(live[200]);
        // A leaked micro-batch of logits (~0.5 MB) per step would add ~400 MB; allow for managed-heap drift.
        (rss[1000] - rss[200]).Should().BeLessThan(64L << 20, $"RSS went from {rss[200] >> 20} MB to {rss[1000] >> 20} MB");
    }

}
