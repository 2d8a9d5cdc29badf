using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: data ... (issue 8). Not built yet: contributes no command.</summary>
internal static class DataCommands
{
    public static IEnumerable<Command> Create() => [];
}
