using Xunit;

namespace Qed.Testing;

/// <summary>
/// A fact that needs the ../shared data folder (benchmarks, tokenizer, answer cases). In a clone without
/// it the test reports itself skipped with the reason instead of failing or silently passing.
/// </summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute(params string[] requiredRelativePaths)
    {
        var reason = SharedData.MissingReason(requiredRelativePaths);
        if (reason is not null) Skip = reason;
    }
}

/// <summary>The theory counterpart of <see cref="SharedDataFactAttribute"/>.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute(params string[] requiredRelativePaths)
    {
        var reason = SharedData.MissingReason(requiredRelativePaths);
        if (reason is not null) Skip = reason;
    }
}

public static class SharedData
{
    /// <summary>Absolute path of a file under ../shared; throws when the folder is missing (guard with the attributes).</summary>
    public static string PathOf(string relative) =>
        Path.Combine(RepoPaths.Shared ?? throw new InvalidOperationException("../shared is not present"), relative);

    public static string? MissingReason(string[] requiredRelativePaths)
    {
        if (RepoPaths.Shared is null)
            return "needs ../shared (the project's shared data folder), which this clone does not have and the network cannot provide";
        foreach (var rel in requiredRelativePaths)
            if (!File.Exists(Path.Combine(RepoPaths.Shared, rel)) && !Directory.Exists(Path.Combine(RepoPaths.Shared, rel)))
                return $"needs ../shared/{rel}, which is missing";
        return null;
    }
}
