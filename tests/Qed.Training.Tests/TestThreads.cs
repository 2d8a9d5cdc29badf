using System.Runtime.CompilerServices;

namespace Qed.Training.Tests;

internal static class TestThreads
{
    /// <summary>One libtorch intra-op thread per test: xunit already runs test classes in parallel, and OpenMP
    /// teams spinning against each other on a busy 2-core machine make every op many times slower.</summary>
    [ModuleInitializer]
    internal static void OneIntraOpThread() => TorchSharp.torch.set_num_threads(1);
}
