using System.CommandLine;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Qed;
using Qed.Answers;

namespace Qed.Cli.Commands;

/// <summary>
/// check-answer (issue 4): one pair (<c>GOLD PRED</c> or <c>--gold G --pred P</c>, <c>[--json]</c>; exit 0 equivalent,
/// 1 different, 2 undecided; malformed LaTeX in either is bad input, exit 64) or a case file (<c>--cases FILE.jsonl [--out FILE.jsonl]</c>; one output line per case, then a summary line).
/// </summary>
internal static class CheckAnswerCommand
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IEnumerable<Command> Create()
    {
        var goldArgument = new Argument<string?>("GOLD") { Description = "The reference answer (same as --gold).", Arity = ArgumentArity.ZeroOrOne };
        var predArgument = new Argument<string?>("PRED") { Description = "The predicted answer or reply (same as --pred).", Arity = ArgumentArity.ZeroOrOne };
        var gold = new Option<string>("--gold") { Description = "The reference answer (or a full solution that contains it)." };
        var pred = new Option<string>("--pred") { Description = "The predicted answer or the model's full reply." };
        var json = new Option<bool>("--json") { Description = "Print {verdict, gold_parsed, pred_parsed, reason} as JSON." };
        var cases = new Option<string>("--cases") { Description = "A JSONL file of cases: gold, pred, optional expected and options." };
        var output = new Option<string>("--out") { Description = "Where to write one JSON line per case (default: standard output)." };
        var precision = new Option<int?>("--precision") { Description = "Decimal places compared when a side is a decimal (default 6)." };
        var matchTypes = new Option<string>("--match-types") { Description = "Notations to extract, comma separated: latex,expr (default both)." };
        var timeoutMs = new Option<int?>("--timeout-ms") { Description = "Time limit per check in milliseconds (default 5000)." };

        var command = new Command("check-answer", "Decide whether a predicted short answer equals the reference: equivalent, different or undecided (exit 0, 1, 2; bad input exits 64).")
        {
            goldArgument, predArgument, gold, pred, json, cases, output, precision, matchTypes, timeoutMs,
        };
        command.WithAction(async (parse, ct) =>
        {
            var options = Options(parse.GetValue(precision), parse.GetValue(matchTypes), parse.GetValue(timeoutMs));
            var casesPath = parse.GetValue(cases);
            var (goldText, predText) = (parse.GetValue(goldArgument), parse.GetValue(predArgument));
            if (casesPath is not null)
            {
                if (parse.GetValue(gold) is not null || parse.GetValue(pred) is not null || goldText is not null)
                    throw new QedException("use either --cases or a pair (GOLD PRED or --gold/--pred), not both");
                return await RunCasesAsync(casesPath, parse.GetValue(output), options, ct);
            }
            var g = Either(goldText, parse.GetValue(gold), "GOLD", "--gold");
            var p = Either(predText, parse.GetValue(pred), "PRED", "--pred");
            if (g is null && p is null) throw new QedException("give the pair: qed check-answer GOLD PRED (or --gold G --pred P, or --cases FILE.jsonl)");
            if (g is null) throw new QedException("--gold is required (qed check-answer GOLD PRED, or --gold G --pred P)");
            if (p is null) throw new QedException("--pred is required (qed check-answer GOLD PRED, or --gold G --pred P)");
            // A typed answer that is not well-formed LaTeX is a mistake to report, not an answer to judge.
            if (LatexWellFormedness.Problem(g) is { } goldProblem) throw new QedException($"GOLD is malformed LaTeX: {goldProblem}");
            if (LatexWellFormedness.Problem(p) is { } predProblem) throw new QedException($"PRED is malformed LaTeX: {predProblem}");
            var check = AnswerChecker.Check(g, p, options, ct);
            Console.WriteLine(parse.GetValue(json) ? ToJson(check) : Word(check.Verdict));
            return check.Verdict switch { AnswerVerdict.Equivalent => 0, AnswerVerdict.Different => 1, _ => 2 };
        }, userErrorExitCode: BadInputExitCode);
        return [command];
    }

    private static string? Either(string? positional, string? option, string argumentName, string optionName)
    {
        if (positional is not null && option is not null)
            throw new QedException($"{argumentName} and {optionName} both given; use one");
        return positional ?? option;
    }

    /// <summary>EX_USAGE: distinct from the verdict codes 0/1/2.</summary>
    private const int BadInputExitCode = 64;

    private static AnswerOptions Options(int? precision, string? matchTypes, int? timeoutMs)
    {
        var options = AnswerOptions.Default;
        if (precision is { } digits)
        {
            if (digits is < 0 or > 50) throw new QedException("--precision must be from 0 to 50");
            options = options with { Precision = digits };
        }
        if (matchTypes is not null)
        {
            var types = matchTypes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var bad = types.FirstOrDefault(t => t is not ("latex" or "expr"));
            if (bad is not null || types.Length == 0) throw new QedException($"--match-types takes latex and/or expr, not '{bad ?? matchTypes}'");
            options = options with { MatchTypes = types };
        }
        if (timeoutMs is { } ms)
        {
            if (ms <= 0) throw new QedException("--timeout-ms must be positive");
            options = options with { Timeout = TimeSpan.FromMilliseconds(ms) };
        }
        return options;
    }

    private static string Word(AnswerVerdict v) => v switch
    {
        AnswerVerdict.Equivalent => "equivalent",
        AnswerVerdict.Different => "different",
        _ => "undecided",
    };

    private static string ToJson(AnswerCheck check)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            WriteCheck(w, check);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteCheck(Utf8JsonWriter w, AnswerCheck check)
    {
        w.WriteString("verdict", Word(check.Verdict));
        w.WriteString("gold_parsed", check.GoldParsed);
        w.WriteString("pred_parsed", check.PredParsed);
        w.WriteString("reason", check.Reason);
    }

    private static async Task<int> RunCasesAsync(string path, string? outPath, AnswerOptions defaults, CancellationToken ct)
    {
        // Read and validate every line first, so a bad line fails before any output is written.
        var all = new List<AnswerCase>();
        await foreach (var c in AnswerCaseFile.ReadAsync(path, defaults, ct)) all.Add(c);

        var lines = new List<string>(all.Count);
        int agreeing = 0, withExpected = 0;
        var counts = new int[3];
        var clock = Stopwatch.StartNew();
        foreach (var c in all)
        {
            ct.ThrowIfCancellationRequested();
            var check = AnswerChecker.Check(c.Gold, c.Pred, c.Options, ct);
            counts[(int)check.Verdict]++;
            if (c.Expected is { } expected)
            {
                withExpected++;
                if ((check.Verdict == AnswerVerdict.Equivalent) == expected) agreeing++;
            }
            lines.Add(CaseLine(c, check));
        }
        clock.Stop();

        if (outPath is not null)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null) Directory.CreateDirectory(dir);
            await File.WriteAllLinesAsync(outPath, lines, ct);
        }
        else foreach (var line in lines) Console.WriteLine(line);

        var perSecond = all.Count / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        var agreement = withExpected > 0
            ? $"agreement {agreeing}/{withExpected} ({100.0 * agreeing / withExpected:0.0}%) with expected"
            : "agreement n/a (no expected field)";
        Console.WriteLine(
            $"{all.Count} cases, {agreement}, {perSecond:0.0} cases/s " +
            $"(equivalent {counts[0]}, different {counts[1]}, undecided {counts[2]})");
        return 0;
    }

    private static string CaseLine(AnswerCase c, AnswerCheck check)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            foreach (var property in c.Raw.EnumerateObject())
            {
                if (property.Name is "verdict" or "gold_parsed" or "pred_parsed" or "reason") continue;
                property.WriteTo(w);
            }
            WriteCheck(w, check);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
