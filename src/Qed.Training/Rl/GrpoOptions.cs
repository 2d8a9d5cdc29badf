using Qed.Inference.Chat;

namespace Qed.Training.Rl;

/// <summary>How a problem becomes the policy's prompt: the chat template around our proof prompt, or the
/// problem text as it is (toy tasks with a tiny tokenizer).</summary>
public enum PromptFormat { Chat, Raw }

/// <summary>What happens to a rollout whose grade could not be obtained (judge error, unparsable verdict).</summary>
public enum GradeFailurePolicy
{
    /// <summary>Leave the rollout out of the loss and out of its group's mean; counted in judge_failures.</summary>
    Skip,
    /// <summary>Count it as reward 0 (and in judge_failures) — only when asked for.</summary>
    Zero,
    /// <summary>Stop training with the failure's reason.</summary>
    Error,
}

/// <summary>Which rollout engine produces the samples.</summary>
public enum RolloutEngineKind { Internal, Remote }

/// <summary>The reward grader: a rule-based one (no model call) or an LLM judge with a marking scheme.</summary>
/// <param name="Kind"><c>first-integer</c> (toy tasks: the first integer of the answer must equal the problem's answer),
/// <c>answer</c> (the answer checker against the problem's short answer) or <c>judge</c> (a model config + prompt,
/// as for <c>qed grade</c>)</param>
/// <param name="Model">judge model reference (YAML path, shipped name or local:ID)</param>
/// <param name="Prompt">a prompt folder overriding the judge's prompts (Grading/marking-scheme.md, proof.md, answer.md),
/// as for <c>qed grade</c>; null: the shipped prompts</param>
public sealed record RewardGraderOptions(string Kind, string? Model = null, string? Prompt = null, int Concurrency = 64);

/// <summary>How to make remote servers load new weights after a step.</summary>
/// <param name="Kind"><c>sglang</c> (POST /update_weights_from_disk {model_path}), <c>post</c> (a configurable POST;
/// vLLM setups expose their own reload route) or <c>none</c> (the servers are never updated: only sensible for tests)</param>
/// <param name="Path">route relative to the server root (the base URL without /v1)</param>
/// <param name="Body">JSON body; <c>{{path}}</c> is replaced by the folder of the written weights</param>
public sealed record WeightReloadOptions(string Kind = "sglang", string Path = "/update_weights_from_disk",
    string Body = "{\"model_path\": \"{{path}}\"}", double TimeoutSeconds = 600);

/// <summary>vLLM/SGLang servers that generate rollouts (OpenAI-compatible <c>/v1/completions</c> with token-id prompts).</summary>
public sealed record RemoteEngineOptions
{
    public required IReadOnlyList<string> BaseUrls { get; init; }
    /// <summary>Model name the servers serve.</summary>
    public required string Model { get; init; }
    public int ConcurrentRequests { get; init; } = 64;
    public double TimeoutSeconds { get; init; } = 3600;
    public int MaxRetries { get; init; } = 5;
    public string? ApiKeyEnv { get; init; }
    public WeightReloadOptions Reload { get; init; } = new();
    /// <summary>Where synced weights are written (must be readable by the servers); default OUT/sync-weights.</summary>
    public string? WeightsDirectory { get; init; }
}

/// <summary>Reasoning-cache RL: trajectories of reasoning and summary turns whose reasoning prompts become GRPO problems.</summary>
public sealed record ReasoningCacheOptions
{
    /// <summary>The frozen summariser: a model reference as for <c>qed eval --model</c>.</summary>
    public required string Summarizer { get; init; }
    /// <summary>Reasoning turns per trajectory (each followed by a summary turn).</summary>
    public int ReasoningSteps { get; init; } = 3;
    /// <summary>States sampled from each trajectory's reasoning prompts (there are ReasoningSteps + 1) to become GRPO problems.</summary>
    public int StatesPerTrajectory { get; init; } = 2;
    /// <summary>New tokens per reasoning turn of a trajectory (null: the policy's max_new_tokens).</summary>
    public int? ReasoningMaxTokens { get; init; }
    /// <summary>Folder overriding our prompts (Rl/reasoning.md, Rl/summary.md).</summary>
    public string? PromptDirectory { get; init; }
}

/// <summary>
/// Everything a GRPO or RC-RL run needs, built once from YAML (configs/train/grpo.yaml, rc.yaml, grpo-tiny.yaml;
/// docs/rl.md lists every field). Defaults are the published QED-Nano recipe. Paths are absolute once loaded.
/// </summary>
public sealed record GrpoOptions
{
    // ---- policy
    public string? Model { get; init; }
    public string? ModelConfig { get; init; }
    public long InitSeed { get; init; }
    public required string Tokenizer { get; init; }
    public Qwen3TemplateVariant Template { get; init; } = Qwen3TemplateVariant.Thinking2507;
    public PromptFormat PromptFormat { get; init; } = PromptFormat.Chat;
    /// <summary>Prompt file for the policy (null: our Rl/proof.md).</summary>
    public string? PolicyPrompt { get; init; }

    // ---- problems
    public IReadOnlyList<string> Problems { get; init; } = [];
    /// <summary>Generate a toy task instead of reading files: <c>copy</c>.</summary>
    public string? ToyTask { get; init; }
    public int ToyProblems { get; init; } = 64;

    // ---- rollouts
    public int GroupSize { get; init; } = 16;
    public int SamplesPerStep { get; init; } = 1024;
    public double Temperature { get; init; } = 0.8;
    public int MaxNewTokens { get; init; } = 49152;
    public RolloutEngineKind Engine { get; init; } = RolloutEngineKind.Internal;
    public RemoteEngineOptions? Remote { get; init; }
    /// <summary>Steps a rollout's policy may lag behind the policy it trains (0: fully synchronous).</summary>
    public int MaxLag { get; init; } = 1;

    // ---- reward
    public required RewardGraderOptions Grader { get; init; }
    public string ThinkEnd { get; init; } = "</think>";
    /// <summary>No closed thinking → reward 0 without calling the grader.</summary>
    public bool RequireClosedThinking { get; init; } = true;
    public double MaxPoints { get; init; } = 7;
    public GradeFailurePolicy OnGradeFailure { get; init; } = GradeFailurePolicy.Skip;
    /// <summary>
    /// <c>reward.protocol</c>: <c>qed</c> (ours) or <c>qed-nano</c> (the published recipe's reward: the judge sees no
    /// reference solution and answers <c>&lt;score&gt;N&lt;/score&gt;</c>, an unparsable verdict scores 0, judge replies may run to
    /// 81,920 tokens, and the reasoning-cache summariser sees the attempt's thinking only).
    /// </summary>
    public string RewardProtocol { get; init; } = "qed";

    // ---- loss
    public bool NormalizeAdvantageByStd { get; init; }
    public double ClipEpsilon { get; init; } = 4;
    public double EntropyCoefficient { get; init; } = 1e-4;
    public double KlCoefficient { get; init; }

    // ---- optimiser
    public int MicroBatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 1e-6;
    public double WeightDecay { get; init; } = 0.01;
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    public double GradientClip { get; init; } = 0.3;

    // ---- run
    public int Steps { get; init; } = 100;
    public long Seed { get; init; }
    public int SaveEvery { get; init; } = 10;
    public int KeepCheckpoints { get; init; } = 2;
    public string SaveDtype { get; init; } = "float32";
    public int Threads { get; init; }
    public string Device { get; init; } = "cpu";
    public bool ActivationCheckpointing { get; init; }
    public required string Out { get; init; }

    /// <summary>Reasoning-cache RL (<c>qed train rc</c>); null for plain GRPO.</summary>
    public ReasoningCacheOptions? ReasoningCache { get; init; }

    public int ProblemsPerStep => Math.Max(1, SamplesPerStep / GroupSize);

    /// <summary>The settings a resumed run must share with the run that wrote the checkpoint.</summary>
    public string Fingerprint() => string.Join("|",
        Model, ModelConfig, InitSeed, Template, PromptFormat, PolicyPrompt, string.Join(",", Problems), ToyTask, ToyProblems,
        GroupSize, SamplesPerStep, Temperature, MaxNewTokens, MaxLag, Grader, ThinkEnd, RequireClosedThinking, MaxPoints,
        OnGradeFailure, NormalizeAdvantageByStd, ClipEpsilon, EntropyCoefficient, KlCoefficient, MicroBatchSize, LearningRate,
        WeightDecay, AdamBeta1, AdamBeta2, AdamEpsilon, GradientClip, Steps, Seed, ReasoningCache)
        // Only when set, so checkpoints written before reward.protocol existed still resume.
        + (RewardProtocol == "qed" ? "" : "|reward.protocol=" + RewardProtocol);
}
