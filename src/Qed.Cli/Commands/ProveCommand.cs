using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: prove (issues 3 and 5). Not built yet: contributes no command.</summary>
internal static class ProveCommand
{
    public static IEnumerable<Command> Create() => [];
}
