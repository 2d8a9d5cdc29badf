namespace Qed.Training.Sft;

/// <summary>What the trainer reports after each optimiser step (the CLI draws its progress bar from it).</summary>
public sealed record SftProgress(long Step, long TotalSteps, double Loss, double LearningRate, double GradNorm,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan EstimatedRemaining, bool Resumed, long ResumedFrom);
