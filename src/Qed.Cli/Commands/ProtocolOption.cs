using System.CommandLine;
using Qed.Protocols;

namespace Qed.Cli.Commands;

/// <summary><c>--protocol qed | qed-nano | DIR</c> on eval, run, grade and prove (issue 14).</summary>
internal static class ProtocolOption
{
    public static Option<string?> Create() => new("--protocol")
    {
        Description = "whose prompts and rules: qed (ours, default), qed-nano (the original harness's files, fetched at a pinned commit " +
            "and cached; base URL from QED_GITHUB_RAW), or a DIR laid out like the original's eval/configs (prompts/, agents/)",
    };

    /// <summary>Reads every prompt file of the protocol (fetching and checking them on first use) before any request.</summary>
    public static async Task<Protocol> ResolveAsync(string? spec, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec == Protocol.OursName) return Protocol.Ours;
        using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
        var protocol = await ProtocolResolver.ResolveAsync(spec, ProtocolEnvironment.FromEnvironment(http), ct);
        Console.Error.WriteLine($"qed: protocol {protocol.Name}: the original harness's prompts and rules from {protocol.Files?.Describe}");
        return protocol;
    }
}
