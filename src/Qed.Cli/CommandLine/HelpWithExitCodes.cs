using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace Qed.Cli.CommandLine;

/// <summary><c>qed --help</c> prints the usual help followed by the exit-code table (<see cref="ExitCodes.Table"/>).</summary>
internal sealed class HelpWithExitCodes(CommandLineAction inner) : SynchronousCommandLineAction
{
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().FirstOrDefault();
        if (help?.Action is { } action) help.Action = new HelpWithExitCodes(action);
    }

    public override int Invoke(ParseResult parse)
    {
        var rc = inner is SynchronousCommandLineAction sync ? sync.Invoke(parse) : 0;
        if (parse.CommandResult.Command is RootCommand)
        {
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine(ExitCodes.Table);
        }
        return rc;
    }

    public override bool ClearsParseErrors => true;
}
