using Qed.Training.Optimization;

namespace Qed.Training.Tests.Sft;

public class LearningRateScheduleTests
{
    [Fact]
    public void Warmup_then_cosine_to_the_floor()
    {
        var s = new LearningRateSchedule(1e-3, ScheduleKind.Cosine, WarmupSteps: 10, TotalSteps: 110, MinRatio: 0.1);
        s.At(1).Should().BeApproximately(1e-4, 1e-12);
        s.At(10).Should().BeApproximately(1e-3, 1e-12);
        s.At(60).Should().BeApproximately(1e-3 * (0.1 + 0.9 * 0.5), 1e-12);
        s.At(110).Should().BeApproximately(1e-4, 1e-12);
    }

    [Fact]
    public void Constant_stays_at_the_peak_after_warmup()
    {
        var s = new LearningRateSchedule(1e-6, ScheduleKind.Constant, 0, 1000);
        s.At(1).Should().Be(1e-6);
        s.At(1000).Should().Be(1e-6);
    }
}
