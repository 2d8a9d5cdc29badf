using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Qed.Cli.CommandLine;

/// <summary>
/// How a wrong command line is answered: the errors first (one line each, in our words rather than a .NET type
/// name), a did-you-mean for a mistyped command or option, then one usage line — never the full help, which would push
/// the error off the screen. The exit code is <see cref="ExitCodes.UsageErrorOf"/>.
/// </summary>
internal static partial class ParseErrors
{
    public static int Report(ParseResult parse, TextWriter error)
    {
        var command = parse.CommandResult.Command;
        var prefix = "qed" + (command is RootCommand ? "" : " " + CommandPath(parse.CommandResult));
        var seen = new HashSet<string>();
        var unknownToken = parse.Errors.Any(e => UnrecognizedToken().IsMatch(e.Message));
        foreach (var e in parse.Errors)
        {
            // `qed evl`: the mistyped command is the news, not that no command was given.
            if (unknownToken && e.Message.StartsWith("Required command was not provided", StringComparison.Ordinal)) continue;
            var line = Rewrite(e.Message, command);
            if (seen.Add(line)) error.WriteLine($"{prefix}: {line}");
        }
        error.WriteLine(UsageLine(parse.CommandResult));
        return ExitCodes.UsageErrorOf(command.Name);
    }

    /// <summary>"Cannot parse argument 'abc' for option '--runs' as expected type 'System.Int32'." and friends, said
    /// plainly; unknown tokens get the nearest command or option.</summary>
    internal static string Rewrite(string message, Command command)
    {
        var conversion = ConversionError().Match(message);
        if (conversion.Success)
        {
            var (value, option, type) = (conversion.Groups[1].Value, conversion.Groups[2].Value, conversion.Groups[3].Value);
            return $"{option}: '{value}' is not {Kind(type)}";
        }
        var unknown = UnrecognizedToken().Match(message);
        if (unknown.Success)
        {
            var token = unknown.Groups[1].Value;
            var candidates = token.StartsWith('-')
                ? command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
                : command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
            var what = token.StartsWith('-') ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
            var line = $"unknown {what} '{token}'";
            return Nearest(token, candidates) is { } near ? $"{line}; did you mean '{near}'?" : line;
        }
        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
            return $"a command is required: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        return message;
    }

    private static string Kind(string type) => type.TrimEnd('?') switch
    {
        "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "a whole number",
        "System.Double" or "System.Single" or "System.Decimal" or "System.Nullable`1[System.Double]" => "a number",
        "System.Boolean" => "true or false",
        _ => "a valid value",
    };

    /// <summary>The closest name within a small edit distance (a third of the longer name), or null.</summary>
    internal static string? Nearest(string token, IEnumerable<string> names)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in names.Distinct())
        {
            var d = Qed.Llm.NearMiss.Distance(token.ToLowerInvariant(), name.ToLowerInvariant()); // a swapped pair ("evla") is one edit
            var prefix = name.StartsWith(token, StringComparison.OrdinalIgnoreCase) && token.TrimStart('-').Length >= 2;
            if (prefix) d = Math.Min(d, 1);
            if (d < bestDistance && (prefix || d <= Math.Max(1, Math.Max(token.Length, name.Length) / 3))) (best, bestDistance) = (name, d);
        }
        return best;
    }

    /// <summary>One line: the command with its required options, and where the rest is listed.</summary>
    private static string UsageLine(CommandResult result)
    {
        var path = "qed" + (result.Command is RootCommand ? "" : " " + CommandPath(result));
        var command = result.Command;
        var parts = new List<string> { path };
        if (command.Subcommands.Count > 0) parts.Add("<command>");
        foreach (var a in command.Arguments.Where(a => !a.Hidden)) parts.Add($"<{a.Name}>");
        foreach (var o in command.Options.Where(o => o.Required && !o.Hidden))
            parts.Add($"{o.Name} <{o.HelpName ?? o.Name.TrimStart('-')}>");
        if (command.Options.Any(o => !o.Required && !o.Hidden && o is not System.CommandLine.Help.HelpOption and not VersionOption)) parts.Add("[options]");
        return $"usage: {string.Join(' ', parts)}   (more: {path} --help)";
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c && c.Command is not RootCommand; r = r.Parent) names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex ConversionError();

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex UnrecognizedToken();
}
