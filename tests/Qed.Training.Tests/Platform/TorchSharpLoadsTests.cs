using TorchSharp;

namespace Qed.Training.Tests.Platform;

public class TorchSharpLoadsTests
{
    [Fact]
    public void Native_library_loads_and_computes()
    {
        // Fails with "GLIBCXX_3.4.32 not found" if the build-output patch (build/TorchSharp.Native.targets) did not run.
        using var a = torch.ones(2, 3);
        using var s = a.sum();
        s.item<float>().Should().Be(6f);
    }
}
