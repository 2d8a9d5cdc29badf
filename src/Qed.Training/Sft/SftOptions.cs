using Qed.Inference.Chat;
using Qed.Training.Optimization;

namespace Qed.Training.Sft;

/// <summary>
/// Everything an SFT run needs, built once from the YAML config (see configs/train/sft-tiny.yaml and
/// docs/training.md for every field). Paths are absolute once loaded.
/// </summary>
public sealed record SftOptions
{
    /// <summary>Directory of a Hugging Face checkpoint to start from; null when <see cref="ModelConfig"/> asks for random init.</summary>
    public string? Model { get; init; }
    /// <summary>A config.json to build a randomly initialised model from (tiny smoke runs, tests).</summary>
    public string? ModelConfig { get; init; }
    public long InitSeed { get; init; }
    public required string Tokenizer { get; init; }
    public Qwen3TemplateVariant Template { get; init; } = Qwen3TemplateVariant.Thinking2507;
    public required IReadOnlyList<string> Data { get; init; }
    public int MaxSequenceLength { get; init; } = 2048;
    public bool Pack { get; init; } = true;
    public int MicroBatchSize { get; init; } = 1;
    public int GradientAccumulation { get; init; } = 1;
    public int Epochs { get; init; } = 1;
    /// <summary>0: as many steps as <see cref="Epochs"/> give; otherwise stop (or cycle epochs) at this many.</summary>
    public int MaxSteps { get; init; }
    public double LearningRate { get; init; } = 1e-5;
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Cosine;
    public int WarmupSteps { get; init; }
    public double MinLearningRateRatio { get; init; }
    public double WeightDecay { get; init; }
    public double AdamBeta1 { get; init; } = 0.9;
    public double AdamBeta2 { get; init; } = 0.999;
    public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Max global gradient L2 norm; 0 disables clipping.</summary>
    public double GradientClip { get; init; } = 1.0;
    public long Seed { get; init; }
    /// <summary>Write a resumable checkpoint every N steps (0: only at the end).</summary>
    public int SaveEvery { get; init; }
    public int KeepCheckpoints { get; init; } = 2;
    /// <summary>"float32", "bfloat16" or "float16": dtype of model.safetensors. Resume state always keeps float32.</summary>
    public string SaveDtype { get; init; } = "float32";
    /// <summary>libtorch intra-op threads (0: libtorch's default).</summary>
    public int Threads { get; init; }
    public string Device { get; init; } = "cpu";
    public bool ActivationCheckpointing { get; init; }
    public required string Out { get; init; }
    public int LogEvery { get; init; } = 1;

    /// <summary>The settings a resumed run must share with the run that wrote the checkpoint.</summary>
    public string Fingerprint() => string.Join("|",
        Model, ModelConfig, InitSeed, Template, string.Join(",", Data), MaxSequenceLength, Pack, MicroBatchSize,
        GradientAccumulation, Epochs, MaxSteps, LearningRate, Schedule, WarmupSteps, MinLearningRateRatio, WeightDecay,
        AdamBeta1, AdamBeta2, AdamEpsilon, GradientClip, Seed);
}
