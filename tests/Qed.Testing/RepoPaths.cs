namespace Qed.Testing;

/// <summary>Locates the repository root and the optional ../shared folder from a test's working directory.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The shared data folder beside the repository, or null when this clone has none.</summary>
    public static string? Shared
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("QED_SHARED_DIR");
            if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
            var dir = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(dir) ? dir : null;
        }
    }

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props"))) return dir.FullName;
            dir = dir.Parent;
        }
        throw new InvalidOperationException("cannot find the repository root above " + AppContext.BaseDirectory);
    }
}
