using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: train sft|grpo|rc (issues 6 and 7). Not built yet: contributes no command.</summary>
internal static class TrainCommands
{
    public static IEnumerable<Command> Create() => [];
}
