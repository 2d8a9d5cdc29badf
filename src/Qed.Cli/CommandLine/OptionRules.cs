using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Qed.IO;

namespace Qed.Cli.CommandLine;

/// <summary>
/// Checks that hold for an option wherever it appears, by name, so a command file only declares its options: value
/// ranges (<c>--concurrency 0</c>, <c>--max-cost -1</c>, a NaN), attached to the whole tree as parse errors, and the
/// output-path rule (<see cref="OutputPath"/>) for every option that names a file or folder a command writes, checked by
/// <see cref="CommandActions"/> before the action runs. Either way the command never starts and exits
/// <see cref="ExitCodes.UsageError"/>.
/// </summary>
internal static class OptionRules
{
    /// <summary>Whole numbers that count something done at least once.</summary>
    private static readonly HashSet<string> AtLeastOne =
    [
        "--concurrency", "--runs", "--limit", "--max-attempts", "--requests-per-prompt", "--block-size", "--ngram", "--timeout-ms",
    ];

    /// <summary>Fractions.</summary>
    private static readonly HashSet<string> ZeroToOne = ["--similarity", "--threshold"];

    /// <summary>Commands whose <c>--out</c> is a folder they fill (checkpoints, ONNX exports); every other <c>--out</c> and
    /// <c>--report</c> is one file.</summary>
    private static readonly HashSet<string> FolderOutputCommands = ["sft", "grpo", "rc", "export-onnx"];

    /// <summary>Commands that write to their <c>--db</c> run store; the others (stats, export, view, report) only read it.</summary>
    private static readonly HashSet<string> StoreWriters = ["eval", "run", "grade", "prove", "grader-bench"];

    public static void Apply(Command command)
    {
        foreach (var option in command.Options) Attach(option);
        foreach (var sub in command.Subcommands) Apply(sub);
    }

    private static void Attach(Option option)
    {
        var name = option.Name;
        switch (option)
        {
            case Option<int> o:
                o.Validators.Add(r => Whole(r, name, Value<int>(r)));
                break;
            case Option<int?> o:
                o.Validators.Add(r => Whole(r, name, Value<int>(r)));
                break;
            case Option<double> o:
                o.Validators.Add(r => Real(r, name, Value<double>(r)));
                break;
            case Option<double?> o:
                o.Validators.Add(r => Real(r, name, Value<double>(r)));
                break;
        }
    }

    /// <summary>The first output option of the parsed command that names a path it cannot write (see
    /// <see cref="OutputPath"/>), as "--out: why", or null. Checked before the command's action runs, so a refusal is one
    /// line and nothing has started; a default (qed.db) is checked where it is opened.</summary>
    public static string? OutputProblem(ParseResult parse)
    {
        var command = parse.CommandResult.Command.Name;
        foreach (var r in parse.CommandResult.Children.OfType<OptionResult>())
        {
            if (r.Implicit || r.Tokens.Count == 0 || OutputKindOf(command, r.Option.Name) is not { } kind) continue;
            if (r.Option is not (Option<string> or Option<string?>)) continue;
            if (OutputPath.Problem(r.Tokens[^1].Value, kind) is { } problem) return $"{r.Option.Name}: {problem}";
        }
        return null;
    }

    private static OutputKind? OutputKindOf(string command, string option) => option switch
    {
        "--out" => FolderOutputCommands.Contains(command) ? OutputKind.Folder : OutputKind.File,
        "--report" => OutputKind.File,
        "--db" when StoreWriters.Contains(command) => OutputKind.File,
        _ => null,
    };

    // A value that failed to convert already has its own error ("'abc' is not a whole number"); a range check on the
    // default it fell back to would only add a second, wrong one.
    private static T? Value<T>(OptionResult r) where T : struct
    {
        if (r.Tokens.Count > 0)
        {
            var text = r.Tokens[^1].Value;
            var converts = typeof(T) == typeof(int)
                ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
                : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
            if (!converts) return null;
        }
        try { return r.GetValueOrDefault<T?>(); }
        catch (InvalidOperationException) { return null; }
    }

    private static void Whole(OptionResult r, string name, int? value)
    {
        if (value is not { } v || r.Implicit) return;
        if (AtLeastOne.Contains(name) && v < 1) r.AddError($"{name} must be at least 1 (got {v})");
        else if (name == "--offset" && v < 0) r.AddError($"{name} must be 0 or more (got {v})");
        else if (name == "--port" && v is < 0 or > 65535) r.AddError($"{name}: {v} is not a TCP port (0-65535; 0 picks a free one)");
    }

    private static void Real(OptionResult r, string name, double? value)
    {
        if (value is not { } v || r.Implicit) return;
        var shown = v.ToString(CultureInfo.InvariantCulture);
        if (!double.IsFinite(v)) r.AddError($"{name} must be a finite number (got {shown})");
        else if (name == "--max-cost" && v < 0) r.AddError($"{name} must be 0 or more US dollars (got {shown})");
        else if (name == "--min-points" && v is < 0 or > 7) r.AddError($"{name} must be from 0 to 7 (got {shown})");
        else if (ZeroToOne.Contains(name) && v is < 0 or > 1) r.AddError($"{name} must be from 0 to 1 (got {shown})");
    }
}
