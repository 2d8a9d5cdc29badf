using System.CommandLine;
using Qed.Cli.CommandLine;
using Qed.Cli.Commands;

var root = new RootCommand("qed: evaluate, scaffold, train and run small theorem-proving language models (QED-Nano).");

// One file per command group; each returns the commands it owns.
IEnumerable<Command>[] groups =
[
    EvalCommands.Create(),        // eval, run, grade, stats, export
    ProveCommand.Create(),        // prove
    CheckAnswerCommand.Create(),  // check-answer
    LocalModelCommands.Create(),  // pull, serve, tokenize, export-onnx
    TrainCommands.Create(),       // train sft|grpo|rc
    DataCommands.Create(),        // data generate|grade|filter|rubrics|build-sft|decontaminate|dedup
    ViewerCommands.Create(),      // view, report
    GraderBenchCommand.Create(),  // grader-bench
];
foreach (var group in groups)
    foreach (var command in group)
        root.Subcommands.Add(command);

// Ranges and output paths are checked once for the whole tree (docs/cli.md); `qed --help` ends with the exit codes.
OptionRules.Apply(root);
HelpWithExitCodes.Install(root);

try
{
    var parse = root.Parse(args);
    if (args.Length == 0)
    {
        await root.Parse(["--help"]).InvokeAsync(); // no command: the full help is the answer, but nothing ran
        return ExitCodes.UsageError;
    }
    if (parse.Action is System.CommandLine.Invocation.ParseErrorAction) return ParseErrors.Report(parse, Console.Error);
    return await parse.InvokeAsync();
}
catch (Exception e)
{
    // Last resort: an unexpected fault still exits non-zero with a one-line reason.
    Console.Error.WriteLine($"qed: internal error: {e.GetType().Name}: {e.Message}");
    if (Environment.GetEnvironmentVariable("QED_DEBUG") == "1") Console.Error.WriteLine(e);
    return ExitCodes.RuntimeFailure;
}
