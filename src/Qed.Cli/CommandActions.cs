using System.CommandLine;
using Qed;
using Qed.Cli.CommandLine;

namespace Qed.Cli;

/// <summary>One way every command runs: an output path it cannot write is refused first (one line, exit 2, see
/// <see cref="OptionRules.OutputProblem"/>); user errors become a one-line reason on stderr and exit code 1 (see
/// <see cref="ExitCodes"/>), a file-system error too (never a stack trace); cancellation (Ctrl-C) exits 130 after the
/// command has left its state resumable.</summary>
internal static class CommandActions
{
    /// <param name="userErrorExitCode">exit code for a <see cref="QedException"/>; commands whose own exit codes carry
    /// meaning (check-answer: 1 = different) use another one so bad input cannot read as a result.</param>
    public static Command WithAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action,
        int userErrorExitCode = ExitCodes.RuntimeFailure)
    {
        command.SetAction(async (parse, ct) =>
        {
            if (OptionRules.OutputProblem(parse) is { } unwritable)
            {
                Console.Error.WriteLine($"qed {command.Name}: {unwritable}");
                return ExitCodes.UsageErrorOf(command.Name);
            }
            try
            {
                return await action(parse, ct);
            }
            catch (QedException e)
            {
                Console.Error.WriteLine($"qed {command.Name}: {e.Message}");
                return userErrorExitCode;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"qed {command.Name}: cancelled; rerun the same command to resume");
                return ExitCodes.Cancelled;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A disk full, a permission changed under us, a path the checks could not foresee: the OS's reason names the path.
                Console.Error.WriteLine($"qed {command.Name}: {e.Message}");
                if (Environment.GetEnvironmentVariable("QED_DEBUG") == "1") Console.Error.WriteLine(e);
                return userErrorExitCode;
            }
        });
        return command;
    }
}
