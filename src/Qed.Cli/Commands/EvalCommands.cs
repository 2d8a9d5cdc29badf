using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: eval, run, grade, stats, export (issue 2). Not built yet: contributes no command.</summary>
internal static class EvalCommands
{
    public static IEnumerable<Command> Create() => [];
}
