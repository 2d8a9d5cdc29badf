using System.Diagnostics;
using System.Text.Json.Nodes;
using Qed.Inference.Chat;
using Qed.Inference.Checkpoints;
using Qed.Inference.Tokenization;
using Qed.Training.Checkpoints;
using Qed.Training.Data;
using Qed.Training.Metrics;
using Qed.Training.Models;
using Qed.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Sft;

/// <summary>Where a finished (or already finished) run left its results.</summary>
public sealed record SftResult(string OutputDirectory, long Steps, long ResumedFrom, double FinalLoss);

/// <summary>
/// Supervised fine-tuning of a Qwen3 model, read top to bottom: options → data → model → optimiser → loop →
/// checkpoint. Departures from a textbook loop, all deliberate:
/// <list type="bullet">
/// <item>the loss is the sum of token cross-entropies over the whole optimiser step divided by the step's number of
/// target tokens (not a mean of per-micro-batch means), so gradient accumulation equals one big batch;</item>
/// <item>the data order and learning rate are pure functions of (seed, step), so a checkpoint only needs the
/// weights, the AdamW moments and the step to continue exactly — a resumed run ends with the same bits as one
/// that never stopped (same machine, same thread count);</item>
/// <item>a killed run loses at most the steps since the last checkpoint; checkpoints are written to a
/// <c>.partial</c> folder and renamed, so a kill mid-write never leaves a half checkpoint that looks whole.</item>
/// </list>
/// Mixed precision is not supported yet: training runs in float32 (bf16/f16 only as the saved dtype).
/// </summary>
public sealed class SftTrainer(SftOptions options)
{
    private const string CheckpointPrefix = "checkpoint-";

    public async Task<SftResult> RunAsync(IProgress<SftProgress>? progress, Action<string>? log, CancellationToken cancellationToken)
    {
        log ??= _ => { };
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        var device = torch.device(options.Device);
        Directory.CreateDirectory(options.Out);

        // ---- data: render every conversation once; the epoch plans are derived from these examples.
        var tokenizer = Qwen3Tokenizer.Load(options.Tokenizer);
        var renderer = new SftExampleRenderer(tokenizer, new Qwen3ChatTemplate(options.Template));
        var examples = new List<SftExample>();
        foreach (var file in options.Data)
            foreach (var conversation in await SftConversations.ReadAsync(file, cancellationToken))
                examples.Add(renderer.Render(conversation, options.MaxSequenceLength));
        int padId = tokenizer.AddedTokens.TryGetValue("<|endoftext|>", out var eot) ? eot : 0;
        var layout = new BatchLayout(options.MaxSequenceLength, options.Pack, options.MicroBatchSize, options.GradientAccumulation);
        var plan = SftEpochPlan.Build(examples, options.Seed, 0, layout, padId);
        int planEpoch = 0;
        long totalSteps = options.MaxSteps > 0 ? options.MaxSteps : (long)options.Epochs * plan.Steps;
        log($"data: {examples.Count} examples, {examples.Sum(e => (long)e.Length)} tokens ({examples.Sum(e => (long)e.TargetCount)} trained), " +
            $"{plan.MicroBatches.Count} micro-batches and {plan.Steps} steps per epoch; {totalSteps} steps in all");

        // ---- model and optimiser, fresh or from the newest complete checkpoint in the output folder.
        var resumeFrom = LatestCheckpoint(options.Out);
        TrainerState? state = resumeFrom is null ? null : TrainerState.Load(resumeFrom);
        if (state is not null && state.Fingerprint != options.Fingerprint())
            throw new QedException($"{resumeFrom}: this output folder holds a run with different settings; use another --out or the original config");

        using var model = state is not null ? Qwen3Checkpoint.Load(resumeFrom!)
            : options.Model is not null ? Qwen3Checkpoint.Load(options.Model)
            : RandomModel();
        if (state is not null && File.Exists(Path.Combine(resumeFrom!, TrainerState.MasterWeightsFileName)))
            LoadMasterWeights(model, Path.Combine(resumeFrom!, TrainerState.MasterWeightsFileName));
        if (tokenizer.VocabularySize > model.Config.VocabSize)
            throw new QedException($"{options.Tokenizer}: the tokenizer has {tokenizer.VocabularySize} ids but the model's vocab_size is {model.Config.VocabSize}");
        model.to(device);
        model.train();
        model.ActivationCheckpointing = options.ActivationCheckpointing;

        var weights = model.NamedWeights();
        using var optimizer = new AdamW(weights, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay);
        long startStep = 0, tokensSeen = 0;
        torch.random.manual_seed(options.Seed);   // nothing in SFT draws from it today (no dropout); kept exact for what will
        if (state is not null)
        {
            using var optimizerFile = SafetensorsCheckpoint.Open(Path.Combine(resumeFrom!, TrainerState.OptimizerFileName));
            optimizer.LoadMoments(optimizerFile, state.OptimizerStep);
            using (var rng = torch.tensor(optimizerFile.Bytes("torch_rng_state").ToArray(), ScalarType.Byte)) torch.random.set_rng_state(rng);
            startStep = state.Step;
            tokensSeen = state.TokensSeen;
            log($"resuming from {resumeFrom} (step {startStep} of {totalSteps})");
        }
        var schedule = new LearningRateSchedule(options.LearningRate, options.Schedule, options.WarmupSteps, totalSteps, options.MinLearningRateRatio);
        var parameters = weights.Select(w => w.Parameter).ToList();

        await using var metrics = await MetricsLog.OpenAsync(options.Out, startStep, cancellationToken);
        await using var events = await TfEventsWriter.CreateAsync(options.Out, cancellationToken);

        // ---- the loop: one optimiser step per iteration, one dispose scope per step.
        var clock = Stopwatch.StartNew();
        double lastLoss = double.NaN;
        for (long step = startStep + 1; step <= totalSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int epoch = (int)((step - 1) / plan.Steps);
            int stepInEpoch = (int)((step - 1) % plan.Steps);
            if (epoch != planEpoch) { plan = SftEpochPlan.Build(examples, options.Seed, epoch, layout, padId); planEpoch = epoch; }
            var batches = plan.StepBatches(stepInEpoch);
            var stepClock = Stopwatch.StartNew();

            double lossSum = 0, gradNorm;
            int stepTokens = batches.Sum(b => b.TokenCount);
            using (var scope = NewDisposeScope())
            {
                int targets = Math.Max(1, batches.Sum(b => b.TargetCount));
                foreach (var batch in batches)
                {
                    var (ids, positions, labels, mask) = batch.ToTensors(device);
                    var logits = model.Forward(ids, positions, mask);                                    // [B, T, V]
                    var loss = nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.view(-1),
                        ignore_index: MicroBatch.IgnoreLabel, reduction: nn.Reduction.Sum) / targets;
                    loss.backward();
                    lossSum += loss.item<float>();
                }
                gradNorm = nn.utils.clip_grad_norm_(parameters, options.GradientClip > 0 ? options.GradientClip : double.PositiveInfinity);
                optimizer.Update(schedule.At(step));
                optimizer.ZeroGrad();
            }
            tokensSeen += stepTokens;
            lastLoss = lossSum;

            double tokensPerSecond = stepTokens / Math.Max(1e-9, stepClock.Elapsed.TotalSeconds);
            var elapsed = clock.Elapsed;
            var remaining = TimeSpan.FromSeconds(elapsed.TotalSeconds / (step - startStep) * (totalSteps - step));
            progress?.Report(new SftProgress(step, totalSteps, lossSum, schedule.At(step), gradNorm, tokensPerSecond, elapsed, remaining, state is not null, startStep));
            if (step % options.LogEvery == 0 || step == totalSteps)
            {
                await metrics.WriteAsync(new JsonObject
                {
                    ["step"] = step, ["epoch"] = epoch, ["loss"] = lossSum, ["lr"] = schedule.At(step), ["grad_norm"] = gradNorm,
                    ["tokens_per_s"] = Math.Round(tokensPerSecond, 1), ["tokens"] = stepTokens, ["tokens_seen"] = tokensSeen,
                }, cancellationToken);
                await events.WriteScalarsAsync(step,
                [
                    ("train/loss", (float)lossSum), ("train/lr", (float)schedule.At(step)),
                    ("train/grad_norm", (float)gradNorm), ("train/tokens_per_s", (float)tokensPerSecond),
                ], cancellationToken);
            }

            bool last = step == totalSteps;
            if (last || (options.SaveEvery > 0 && step % options.SaveEvery == 0))
            {
                var nextEpoch = (int)(step / plan.Steps);
                await SaveCheckpointAsync(model, optimizer, new TrainerState
                {
                    Step = step, TotalSteps = totalSteps, Epoch = nextEpoch, MicroBatchInEpoch = (int)(step % plan.Steps) * options.GradientAccumulation,
                    OptimizerStep = optimizer.Step, TokensSeen = tokensSeen, Fingerprint = options.Fingerprint(), Completed = last,
                }, cancellationToken);
            }
        }

        // ---- the final model in the output folder itself (Hugging Face layout), from the last checkpoint's weights.
        await Qwen3Checkpoint.SaveAsync(model, options.Out, TensorDTypes.FromTorchName(options.SaveDtype), TokenizerDirectory(), cancellationToken);
        log($"done: {totalSteps} steps; model written to {options.Out}");
        return new SftResult(options.Out, totalSteps, startStep, lastLoss);
    }

    private Qwen3ForCausalLM RandomModel()
    {
        var config = Qwen3Config.Load(options.ModelConfig!);
        var model = new Qwen3ForCausalLM(config);
        model.InitializeWeights(options.InitSeed);
        return model;
    }

    private string TokenizerDirectory() => File.Exists(options.Tokenizer) ? Path.GetDirectoryName(options.Tokenizer)! : options.Tokenizer;

    private async Task SaveCheckpointAsync(Qwen3ForCausalLM model, AdamW optimizer, TrainerState state, CancellationToken ct)
    {
        var final = Path.Combine(options.Out, CheckpointPrefix + state.Step);
        var partial = final + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        var dtype = TensorDTypes.FromTorchName(options.SaveDtype);
        await Qwen3Checkpoint.SaveAsync(model, partial, dtype, TokenizerDirectory(), ct);

        var optimizerFile = new SafetensorsWriter();
        optimizer.SaveMoments(optimizerFile);
        using (var rng = torch.random.get_rng_state())
            optimizerFile.Add("torch_rng_state", TensorDType.U8, [rng.shape[0]], rng.data<byte>().ToArray());
        await optimizerFile.WriteAsync(Path.Combine(partial, TrainerState.OptimizerFileName), ct);
        if (dtype != TensorDType.F32)
        {
            var master = new SafetensorsWriter();
            foreach (var (name, p) in model.NamedWeights()) TensorConversion.Add(master, name, p, TensorDType.F32);
            await master.WriteAsync(Path.Combine(partial, TrainerState.MasterWeightsFileName), ct);
        }
        await state.SaveAsync(partial, ct);   // last: its presence marks the checkpoint complete

        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(partial, final);
        foreach (var old in Checkpoints(options.Out).SkipLast(options.KeepCheckpoints))
            Directory.Delete(old.Path, recursive: true);
    }

    private static void LoadMasterWeights(Qwen3ForCausalLM model, string path)
    {
        using var file = SafetensorsCheckpoint.Open(path);
        using var _ = no_grad();
        foreach (var (name, p) in model.NamedWeights())
        {
            using var scope = NewDisposeScope();
            p.copy_(TensorConversion.ReadFloat32(file, name));
        }
    }

    /// <summary>Complete checkpoints in <paramref name="outDirectory"/>, oldest first.</summary>
    public static IReadOnlyList<(long Step, string Path)> Checkpoints(string outDirectory) =>
        !Directory.Exists(outDirectory) ? [] :
        Directory.GetDirectories(outDirectory, CheckpointPrefix + "*")
            .Select(d => (Name: Path.GetFileName(d), Path: d))
            .Where(d => long.TryParse(d.Name[CheckpointPrefix.Length..], out _) && File.Exists(Path.Combine(d.Path, TrainerState.FileName)))
            .Select(d => (long.Parse(d.Name[CheckpointPrefix.Length..]), d.Path))
            .OrderBy(d => d.Item1).ToList();

    private static string? LatestCheckpoint(string outDirectory) => Checkpoints(outDirectory).LastOrDefault().Path;
}
