using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: check-answer (issue 4). Not built yet: contributes no command.</summary>
internal static class CheckAnswerCommand
{
    public static IEnumerable<Command> Create() => [];
}
