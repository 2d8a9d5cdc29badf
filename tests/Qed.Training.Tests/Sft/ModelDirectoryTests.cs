using Qed.Inference.Hub;
using Qed.Training.Checkpoints;

namespace Qed.Training.Tests.Sft;

public class ModelDirectoryTests
{
    [Fact]
    public void Resolves_directories_and_hub_cache_snapshots()
    {
        var root = TinyModels.TempDir();
        var hub = new HubOptions { CacheDirectory = Path.Combine(root, "hub") };
        ModelDirectory.Resolve("local:" + root, hub).Should().Be(root);

        var snapshot = Path.Combine(hub.CacheDirectory, "models--Org--Tiny", "snapshots", "abc123");
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(hub.CacheDirectory, "models--Org--Tiny", "refs"));
        File.WriteAllText(Path.Combine(hub.CacheDirectory, "models--Org--Tiny", "refs", "main"), "abc123");
        ModelDirectory.Resolve("local:Org/Tiny", hub).Should().Be(snapshot);

        var missing = () => ModelDirectory.Resolve("local:Org/Missing", hub);
        missing.Should().Throw<QedException>().WithMessage("*qed pull Org/Missing*");
    }
}
