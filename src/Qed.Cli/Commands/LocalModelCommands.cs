using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: pull, serve, tokenize, export-onnx (issue 5). Not built yet: contributes no command.</summary>
internal static class LocalModelCommands
{
    public static IEnumerable<Command> Create() => [];
}
