using System.Diagnostics;
using System.Text.Json.Nodes;
using Qed.Inference.Checkpoints;
using Qed.Inference.Tokenization;
using Qed.Llm;
using Qed.Training.Checkpoints;
using Qed.Training.Metrics;
using Qed.Training.Models;
using Qed.Training.Optimization;
using Qed.Training.Policy;
using Qed.Training.Sft;
using TorchSharp;
using static TorchSharp.torch;

namespace Qed.Training.Rl;

/// <summary>One step as the progress line shows it.</summary>
public sealed record GrpoProgress(long Step, long TotalSteps, double RewardMean, double SuccessRate, double TokensPerSecond,
    int JudgeFailures, double PolicyLag, double WaitSeconds, double StepSeconds, TimeSpan Elapsed, TimeSpan EstimatedRemaining);

/// <summary>Where a finished run left its results.</summary>
public sealed record GrpoResult(string OutputDirectory, long Steps, long ResumedFrom, double FirstRewardMean, double LastRewardMean);

/// <summary>
/// GRPO with rubric rewards (and, given RC states, reasoning-cache RL), read top to bottom: options → problems →
/// policy → rollout engine → reward → loop → checkpoint. Departures from textbook GRPO/PPO, all the published recipe's:
/// <list type="bullet">
/// <item>advantage = reward − group mean, no std division unless asked; groups whose rewards are all equal stay in
/// the batch (advantage 0, they still add the entropy term and count in the divisor);</item>
/// <item>one gradient step per batch; the ratio compares the trained policy with the sampling policy, which differs
/// by up to max_lag versions (the asynchronous pipeline) — ε = 4 clips only wildly off-policy tokens;</item>
/// <item>loss = −Σ tokens (clipped term + β·entropy − κ·KL) / samples in the step, not a per-token mean;</item>
/// <item>log-probs come from logits / T with the sampler's T, so ratio = 1 on-policy.</item>
/// </list>
/// Resume: a checkpoint holds the weights, AdamW moments, the step, and the snapshots rollouts of the next steps
/// sample with; problems and sampling seeds are functions of (seed, step), so a resumed run with the internal engine
/// ends with the same weights as one that never stopped.
/// </summary>
public sealed class GrpoTrainer(GrpoOptions options, ChatClientFactory? models = null)
{
    private const string RolloutPolicyPrefix = "rollout_policy_v";

    public async Task<GrpoResult> RunAsync(IProgress<GrpoProgress>? progress, Action<string>? log, CancellationToken cancellationToken)
    {
        log ??= _ => { };
        if (options.Threads > 0) torch.set_num_threads(options.Threads);
        var device = torch.device(options.Device);
        Directory.CreateDirectory(options.Out);

        // ---- problems and prompts
        var tokenizer = Qwen3Tokenizer.Load(options.Tokenizer);
        var problems = await RlProblems.LoadAsync(options, cancellationToken);
        var prompts = new PolicyPrompts(tokenizer, options.Template, options.PromptFormat, options.PolicyPrompt, options.ReasoningCache?.PromptDirectory);
        log($"problems: {problems.Count}; {options.ProblemsPerStep} per step × {options.GroupSize} rollouts = {options.SamplesPerStep} samples per step; {options.Steps} steps");

        // ---- policy and optimiser, fresh or from the newest complete checkpoint
        var resumeFrom = SftTrainer.Checkpoints(options.Out).LastOrDefault().Path;
        TrainerState? state = resumeFrom is null ? null : TrainerState.Load(resumeFrom);
        if (state is not null && state.Fingerprint != options.Fingerprint())
            throw new QedException($"{resumeFrom}: this output folder holds a run with different settings; use another --out or the original config");
        using var model = state is not null ? Qwen3Checkpoint.Load(resumeFrom!) : StartingModel();
        if (state is not null && File.Exists(Path.Combine(resumeFrom!, TrainerState.MasterWeightsFileName)))
            using (var master = ReadWeights(Path.Combine(resumeFrom!, TrainerState.MasterWeightsFileName), state.Step)) master.CopyInto(model);
        if (tokenizer.VocabularySize > model.Config.VocabSize)
            throw new QedException($"{options.Tokenizer}: the tokenizer has {tokenizer.VocabularySize} ids but the model's vocab_size is {model.Config.VocabSize}");
        model.to(device);
        model.train();
        model.ActivationCheckpointing = options.ActivationCheckpointing;
        using var reference = options.KlCoefficient > 0 ? StartingModel() : null;
        if (reference is not null) { reference.to(device); reference.eval(); }

        var weights = model.NamedWeights();
        using var optimizer = new AdamW(weights, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay);
        long startStep = 0;
        using var versions = new PolicyVersions();
        if (state is not null)
        {
            using var optimizerFile = SafetensorsCheckpoint.Open(Path.Combine(resumeFrom!, TrainerState.OptimizerFileName));
            optimizer.LoadMoments(optimizerFile, state.OptimizerStep);
            startStep = state.Step;
            foreach (var file in Directory.GetFiles(resumeFrom!, RolloutPolicyPrefix + "*.safetensors"))
                versions.Publish(ReadWeights(file, long.Parse(Path.GetFileNameWithoutExtension(file)[RolloutPolicyPrefix.Length..], System.Globalization.CultureInfo.InvariantCulture)));
            log($"resuming from {resumeFrom} (step {startStep} of {options.Steps})");
        }
        versions.Publish(PolicySnapshot.Of(model, startStep));
        var parameters = weights.Select(w => w.Parameter).ToList();

        // ---- rollout engine, reward, states
        await using var engine = await RolloutEngines.CreateAsync(options, model.Config, prompts.StopTokenIds, cancellationToken);
        var grader = await RewardGraders.CreateAsync(options, models, cancellationToken);
        var reward = new RewardFunction(grader, options.MaxPoints, options.ThinkEnd, options.RequireClosedThinking, options.OnGradeFailure);
        IStepStates states = options.ReasoningCache is { } rc
            ? await ReasoningCacheStates.CreateAsync(rc, problems, prompts, options, models, cancellationToken)
            : new ProblemStates(problems, options.ProblemsPerStep, options.Seed);

        await using var metrics = await MetricsLog.OpenAsync(options.Out, startStep, cancellationToken);
        await using var events = await TfEventsWriter.CreateAsync(options.Out, cancellationToken);
        await using var pipeline = new RolloutPipeline(engine, versions, states, prompts, reward, options, startStep + 1, options.Steps, cancellationToken);

        // ---- the loop
        var clock = Stopwatch.StartNew();
        double firstReward = double.NaN, lastReward = double.NaN;
        var lossSettings = new PolicyLossSettings(options.ClipEpsilon, options.EntropyCoefficient, options.KlCoefficient);
        for (long step = startStep + 1; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var stepClock = Stopwatch.StartNew();
            var batch = await pipeline.NextAsync(cancellationToken);
            var wait = stepClock.Elapsed;

            var trainClock = Stopwatch.StartNew();
            var (samples, lossStats, lossValue, gradNorm, trainedTokens) = TrainStep(model, reference, optimizer, parameters, batch, lossSettings, device);
            var train = trainClock.Elapsed;
            bool last = step == options.Steps;
            bool save = last || (options.SaveEvery > 0 && step % options.SaveEvery == 0);
            // A checkpoint must hold the older versions the next steps sample with, so on a save step the new
            // version is published (letting the producer release older ones) only once the checkpoint is written.
            if (!save) versions.Publish(PolicySnapshot.Of(model, step));

            var record = StepMetrics(batch, step, samples, lossStats, lossValue, gradNorm, trainedTokens, wait, train, stepClock.Elapsed);
            double rewardMean = Number(record["reward_mean"]);
            if (double.IsNaN(firstReward)) firstReward = rewardMean;
            lastReward = rewardMean;
            await metrics.WriteAsync(record, cancellationToken);
            await events.WriteScalarsAsync(step, record.Where(kv => kv.Key != "step" && kv.Value is JsonValue)
                .Select(kv => ("rl/" + kv.Key, (float)Number(kv.Value))).ToList(), cancellationToken);
            var elapsed = clock.Elapsed;
            progress?.Report(new GrpoProgress(step, options.Steps, rewardMean, Number(record["success_rate"]),
                Number(record["tokens_per_s"]), (int)Number(record["judge_failures"]), Number(record["policy_lag"]),
                wait.TotalSeconds, stepClock.Elapsed.TotalSeconds, elapsed,
                TimeSpan.FromSeconds(elapsed.TotalSeconds / (step - startStep) * (options.Steps - step))));

            if (save)
            {
                await SaveCheckpointAsync(model, optimizer, versions, step, last, cancellationToken);
                versions.Publish(PolicySnapshot.Of(model, step));
            }
        }

        await Qwen3Checkpoint.SaveAsync(model, options.Out, TensorDTypes.FromTorchName(options.SaveDtype), TokenizerDirectory(), cancellationToken);
        log($"done: {options.Steps} steps; model written to {options.Out}");
        return new GrpoResult(options.Out, options.Steps, startStep, firstReward, lastReward);
    }

    /// <summary>One optimiser step over the batch: gradient accumulation over micro-batches of rollouts.</summary>
    private (int Samples, PolicyLossStats Stats, double Loss, double GradNorm, long Tokens) TrainStep(Qwen3ForCausalLM model, Qwen3ForCausalLM? reference,
        AdamW optimizer, List<TorchSharp.Modules.Parameter> parameters, StepBatch batch, PolicyLossSettings settings, Device device)
    {
        // Advantages per group over the rollouts that have a reward (skipped grading failures have none).
        var withAdvantage = new List<(Rollout Rollout, double Advantage)>();
        foreach (var group in batch.Rollouts.GroupBy(r => r.Group))
        {
            var list = group.ToList();
            var advantages = GroupAdvantages.Compute(list.Select(r => r.Reward.Reward).ToList(), options.NormalizeAdvantageByStd);
            for (int i = 0; i < list.Count; i++)
                if (advantages[i] is { } a && list[i].Rollout.Length > 0) withAdvantage.Add((list[i].Rollout, a));
        }
        int samples = withAdvantage.Count;
        var stats = PolicyLossStats.Empty;
        double lossSum = 0, gradNorm = 0;
        long tokens = 0;
        if (samples == 0) return (0, stats, 0, 0, 0);
        using (var scope = NewDisposeScope())
        {
            foreach (var micro in withAdvantage.Chunk(options.MicroBatchSize))
            {
                using var microScope = NewDisposeScope();
                var (ids, targets, selected, oldLogProbs, advantages) = MicroBatchTensors(micro, device);
                var hidden = model.HiddenStates(ids);                                              // [B, T, C]
                var logits = model.Logits(hidden.index(selected));                                 // [N, V]
                var tokenLogp = TokenLogProbs.Gather(logits, targets, options.Temperature);         // [N]
                var entropy = TokenLogProbs.Entropy(logits, options.Temperature);                   // [N]
                Tensor? refLogp = null;
                if (reference is not null)
                    using (no_grad())
                    {
                        var refLogits = reference.Logits(reference.HiddenStates(ids).index(selected));
                        refLogp = TokenLogProbs.Gather(refLogits, targets, options.Temperature);
                    }
                var (loss, microStats) = PolicyLoss.Compute(tokenLogp, oldLogProbs, advantages, entropy, refLogp, settings, samples);
                loss.backward();
                lossSum += loss.item<float>();
                stats = stats.Add(microStats);
                tokens += targets.shape[0];
            }
            gradNorm = nn.utils.clip_grad_norm_(parameters, options.GradientClip > 0 ? options.GradientClip : double.PositiveInfinity);
            optimizer.Update(options.LearningRate);
            optimizer.ZeroGrad();
        }
        return (samples, stats, lossSum, gradNorm, tokens);
    }

    /// <summary>
    /// Right-padded prompt+completion sequences (causal attention: padding after a sequence never reaches it) and the
    /// positions that predict completion tokens. ids [B, T]; selected [B, T] bool; targets, old log-probs,
    /// advantages [N] over the selected positions in row-major order.
    /// </summary>
    private static (Tensor Ids, Tensor Targets, Tensor Selected, Tensor OldLogProbs, Tensor Advantages) MicroBatchTensors(
        IReadOnlyList<(Rollout Rollout, double Advantage)> micro, Device device)
    {
        int b = micro.Count;
        int t = micro.Max(m => m.Rollout.PromptIds.Count + m.Rollout.Length - 1);
        var ids = new long[b * t];
        var selected = new bool[b * t];
        var targets = new List<long>();
        var old = new List<float>();
        var adv = new List<float>();
        for (int i = 0; i < b; i++)
        {
            var (r, a) = micro[i];
            var sequence = r.PromptIds.Concat(r.CompletionIds).ToList();
            for (int j = 0; j < sequence.Count - 1; j++) ids[i * t + j] = sequence[j];
            for (int k = 0; k < r.Length; k++)
            {
                selected[i * t + r.PromptIds.Count - 1 + k] = true;
                targets.Add(r.CompletionIds[k]);
                old.Add(r.CompletionLogProbs[k]);
                adv.Add((float)a);
            }
        }
        return (tensor(ids, [b, t], device: device), tensor(targets.ToArray(), device: device),
            tensor(selected, [b, t], device: device), tensor(old.ToArray(), device: device), tensor(adv.ToArray(), device: device));
    }

    private JsonObject StepMetrics(StepBatch batch, long step, int samples, PolicyLossStats loss, double lossValue, double gradNorm,
        long trainedTokens, TimeSpan wait, TimeSpan train, TimeSpan stepTime)
    {
        var rollouts = batch.Rollouts;
        var rewards = rollouts.Where(r => r.Reward.Reward.HasValue).Select(r => r.Reward.Reward!.Value).ToList();
        double mean = rewards.Count == 0 ? 0 : rewards.Average();
        double std = rewards.Count == 0 ? 0 : Math.Sqrt(rewards.Sum(x => (x - mean) * (x - mean)) / rewards.Count);
        var judged = rollouts.Where(r => r.Reward.Graded).ToList();
        long completionTokens = rollouts.Sum(r => (long)r.Rollout.Length);
        var lags = rollouts.Select(r => (double)(step - 1 - r.Rollout.PolicyVersion)).DefaultIfEmpty(0).ToList();
        double Round(double x, int digits = 4) => Math.Round(x, digits);
        return new JsonObject
        {
            ["step"] = step,
            ["reward_mean"] = Round(mean, 6),
            ["reward_std"] = Round(std, 6),
            ["success_rate"] = Round(rewards.Count == 0 ? 0 : rewards.Count(x => x >= 1) / (double)rewards.Count),
            ["truncation_rate"] = Round(rollouts.Count == 0 ? 0 : rollouts.Count(r => r.Rollout.Truncated) / (double)rollouts.Count),
            ["closed_thinking_rate"] = Round(rollouts.Count == 0 ? 0 : rollouts.Count(r => r.Reward.ClosedThinking) / (double)rollouts.Count),
            ["zero_advantage_groups"] = rollouts.GroupBy(r => r.Group).Count(g => g.Select(r => r.Reward.Reward).Distinct().Count() == 1),
            ["entropy"] = Round(loss.MeanEntropy),
            ["ratio_mean"] = Round(loss.MeanRatio, 6),
            ["clip_fraction"] = Round(loss.ClipFraction, 6),
            ["effective_sample_size"] = Round(loss.EffectiveSampleSize, 6),
            ["kl"] = Round(loss.MeanKl, 6),
            ["loss"] = Round(lossValue, 6),
            ["grad_norm"] = Round(gradNorm, 6),
            ["lr"] = options.LearningRate,
            ["samples"] = samples,
            ["rollouts"] = rollouts.Count,
            ["completion_tokens"] = completionTokens,
            ["completion_len_mean"] = Round(rollouts.Count == 0 ? 0 : completionTokens / (double)rollouts.Count, 2),
            ["judge_calls"] = judged.Count,
            ["judge_failures"] = rollouts.Count(r => r.Reward.Failure is not null),
            ["judge_latency_s"] = Round(judged.Count == 0 ? 0 : judged.Average(r => r.Reward.Latency.TotalSeconds)),
            ["tokens_per_s"] = Round(completionTokens / Math.Max(1e-9, batch.GenerationTime.TotalSeconds), 1),
            ["train_tokens_per_s"] = Round(trainedTokens / Math.Max(1e-9, train.TotalSeconds), 1),
            ["policy_lag"] = Round(lags.Average(), 3),
            ["policy_lag_max"] = lags.Max(),
            ["policy_version"] = batch.PolicyVersion,
            ["generation_s"] = Round(batch.GenerationTime.TotalSeconds),
            ["grading_s"] = Round(batch.GradingTime.TotalSeconds),
            ["states_s"] = Round(batch.StateTime.TotalSeconds),
            ["wait_s"] = Round(wait.TotalSeconds),
            ["train_s"] = Round(train.TotalSeconds),
            ["step_s"] = Round(stepTime.TotalSeconds),
        };
    }

    private static double Number(JsonNode? n) => n is JsonValue v
        ? v.TryGetValue<double>(out var d) ? d : v.TryGetValue<long>(out var l) ? l : v.TryGetValue<int>(out var i) ? i : double.NaN
        : double.NaN;

    private Qwen3ForCausalLM StartingModel()
    {
        if (options.Model is not null) return Qwen3Checkpoint.Load(options.Model);
        var model = new Qwen3ForCausalLM(Qwen3Config.Load(options.ModelConfig!));
        model.InitializeWeights(options.InitSeed);
        return model;
    }

    private string TokenizerDirectory() => File.Exists(options.Tokenizer) ? Path.GetDirectoryName(options.Tokenizer)! : options.Tokenizer;

    private async Task SaveCheckpointAsync(Qwen3ForCausalLM model, AdamW optimizer, PolicyVersions versions, long step, bool last, CancellationToken ct)
    {
        var final = Path.Combine(options.Out, "checkpoint-" + step);
        var partial = final + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        await Qwen3Checkpoint.SaveAsync(model, partial, TensorDTypes.FromTorchName(options.SaveDtype), TokenizerDirectory(), ct);
        var optimizerFile = new SafetensorsWriter();
        optimizer.SaveMoments(optimizerFile);
        await optimizerFile.WriteAsync(Path.Combine(partial, TrainerState.OptimizerFileName), ct);
        if (options.SaveDtype != "float32")
        {
            var master = new SafetensorsWriter();
            foreach (var (name, p) in model.NamedWeights()) TensorConversion.Add(master, name, p, TensorDType.F32);
            await master.WriteAsync(Path.Combine(partial, TrainerState.MasterWeightsFileName), ct);
        }
        // The older versions that coming steps' rollouts sample with (asynchronous pipeline), copied while the
        // producer cannot release them.
        var rolloutPolicies = versions.ReadHeld(held => held.Where(s => s.Version < step && s.Version >= step - options.MaxLag).Select(snapshot =>
        {
            var writer = new SafetensorsWriter();
            foreach (var (name, value) in snapshot.Weights) TensorConversion.Add(writer, name, value, TensorDType.F32);
            return (snapshot.Version, Writer: writer);
        }).ToList());
        foreach (var (version, writer) in rolloutPolicies)
            await writer.WriteAsync(Path.Combine(partial, $"{RolloutPolicyPrefix}{version}.safetensors"), ct);
        await new TrainerState
        {
            Step = step, TotalSteps = options.Steps, Epoch = 0, MicroBatchInEpoch = 0, OptimizerStep = optimizer.Step,
            TokensSeen = 0, Fingerprint = options.Fingerprint(), Completed = last,
        }.SaveAsync(partial, ct);
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(partial, final);
        foreach (var old in SftTrainer.Checkpoints(options.Out).SkipLast(options.KeepCheckpoints))
            Directory.Delete(old.Path, recursive: true);
    }

    private static PolicySnapshot ReadWeights(string file, long version)
    {
        using var checkpoint = SafetensorsCheckpoint.Open(file);
        return new PolicySnapshot(version, checkpoint.Names.Select(n => (n, TensorConversion.ReadFloat32(checkpoint, n).DetachFromDisposeScope())).ToList());
    }
}
