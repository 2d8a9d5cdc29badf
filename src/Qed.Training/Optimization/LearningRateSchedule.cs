namespace Qed.Training.Optimization;

/// <summary>Shapes of the learning-rate curve.</summary>
public enum ScheduleKind { Constant, Cosine, Linear }

/// <summary>
/// Learning rate as a pure function of the optimiser step (so nothing needs saving to resume it): linear warmup
/// from 0 over <see cref="WarmupSteps"/>, then constant, cosine decay or linear decay down to
/// <see cref="MinRatio"/> × peak at <see cref="TotalSteps"/>.
/// </summary>
public sealed record LearningRateSchedule(double Peak, ScheduleKind Kind, long WarmupSteps, long TotalSteps, double MinRatio = 0.0)
{
    /// <param name="step">1-based index of the update about to be taken.</param>
    public double At(long step)
    {
        if (WarmupSteps > 0 && step <= WarmupSteps) return Peak * step / WarmupSteps;
        if (Kind == ScheduleKind.Constant) return Peak;
        double span = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Clamp((step - WarmupSteps) / span, 0, 1);
        double shape = Kind == ScheduleKind.Cosine ? 0.5 * (1 + Math.Cos(Math.PI * progress)) : 1 - progress;
        return Peak * (MinRatio + (1 - MinRatio) * shape);
    }
}
