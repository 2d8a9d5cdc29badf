using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: view, report (issue 9). Not built yet: contributes no command.</summary>
internal static class ViewerCommands
{
    public static IEnumerable<Command> Create() => [];
}
