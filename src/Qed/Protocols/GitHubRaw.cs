namespace Qed.Protocols;

/// <summary>
/// The raw-file host of GitHub, <c>https://raw.githubusercontent.com</c>, replaceable with <c>QED_GITHUB_RAW</c> (a mirror,
/// or a loopback server in tests). It serves the original harness's prompt and agent files and the benchmark CSVs.
/// </summary>
public static class GitHubRaw
{
    public const string DefaultBase = "https://raw.githubusercontent.com";
    public const string Variable = "QED_GITHUB_RAW";

    /// <summary>The base to use: <paramref name="configured"/> (normally <c>$QED_GITHUB_RAW</c>) without a trailing slash, else the default.</summary>
    public static string Base(string? configured) =>
        string.IsNullOrWhiteSpace(configured) ? DefaultBase : configured.Trim().TrimEnd('/');

    /// <summary>A raw.githubusercontent.com URL moved onto <paramref name="rawBase"/>; other URLs are returned as they are.</summary>
    public static string Rebase(string url, string rawBase) =>
        url.StartsWith(DefaultBase + "/", StringComparison.Ordinal) ? Base(rawBase) + url[DefaultBase.Length..] : url;
}
