using System.CommandLine;

namespace Qed.Cli.Commands;

/// <summary>Commands: grader-bench (issue 10). Not built yet: contributes no command.</summary>
internal static class GraderBenchCommand
{
    public static IEnumerable<Command> Create() => [];
}
