namespace Qed.Cli.CommandLine;

/// <summary>
/// The exit codes of every <c>qed</c> command (docs/cli.md, "Exit codes"; also printed by <c>qed --help</c>).
/// check-answer keeps its own verdict codes (0 equivalent, 1 different, 2 undecided) and exits 64 on bad input.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command could not do its work: an unreachable or misconfigured endpoint, a missing key, a corrupt
    /// store, an unreadable input file, a disk error.</summary>
    public const int RuntimeFailure = 1;

    /// <summary>The command line is wrong: an unknown command or option, a value of the wrong type or out of range, an
    /// output path that cannot be written. Nothing was started.</summary>
    public const int UsageError = 2;

    /// <summary>The command ran to its end but some samples or grades failed (recorded in the store or output; rerun to
    /// retry them): the results are incomplete. A stop at <c>--max-cost</c> is a planned pause, not a failure (0).</summary>
    public const int Incomplete = 3;

    /// <summary>Ctrl-C: the state written so far is kept; rerun the same command to resume.</summary>
    public const int Cancelled = 130;

    /// <summary>check-answer's bad-input code (EX_USAGE), distinct from its verdict codes 0/1/2.</summary>
    public const int CheckAnswerBadInput = 64;

    /// <summary>0 when nothing failed, <see cref="Incomplete"/> otherwise.</summary>
    public static int Finished(int failed) => failed > 0 ? Incomplete : Success;

    /// <summary>The code for a command-line error of <paramref name="commandName"/>: check-answer's 0/1/2 are verdicts.</summary>
    public static int UsageErrorOf(string commandName) => commandName == "check-answer" ? CheckAnswerBadInput : UsageError;

    /// <summary>The table as <c>qed --help</c> prints it.</summary>
    public const string Table = """
        Exit codes (every command; see docs/cli.md):
          0    success
          1    runtime failure (endpoint, key, store, input file, disk)
          2    usage error (unknown command or option, bad value, unwritable output path); nothing was started
          3    finished, but some samples or grades failed: results incomplete (rerun to retry them)
          130  cancelled (Ctrl-C); rerun the same command to resume
          check-answer: 0 equivalent, 1 different, 2 undecided, 64 bad input
        """;
}
