using System.CommandLine;
using System.Net;
using Qed;
using Qed.Data;
using Qed.IO;
using Qed.Viewer;
using Qed.Viewer.ReadModel;
using Qed.Viewer.Report;

namespace Qed.Cli.Commands;

/// <summary>Commands: view (the local results viewer), report (one self-contained HTML file). Issue 9.</summary>
internal static class ViewerCommands
{
    private const string DefaultDb = "qed.db";

    public static IEnumerable<Command> Create() => [View(), Report()];

    private static Option<string> DbOption() => new("--db")
    {
        Description = "the run store (SQLite) to read",
        DefaultValueFactory = _ => DefaultDb,
    };

    private static Command View()
    {
        var db = DbOption();
        var host = new Option<string>("--host") { Description = "address to listen on (loopback unless you choose otherwise)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "port to listen on (0 picks a free one)", DefaultValueFactory = _ => 7860 };
        var command = new Command("view", "Browse runs, problems, proofs, verdicts and scaffold steps in a local web viewer.") { db, host, port };
        return command.WithAction(async (parse, ct) =>
        {
            var dbPath = parse.GetValue(db)!;
            var hostName = parse.GetValue(host)!;
            var portNumber = parse.GetValue(port);
            if (portNumber is < 0 or > 65535) throw new QedException($"--port: {portNumber} is not a TCP port (0–65535)");
            if (!IsLoopback(hostName))
                Console.Error.WriteLine($"qed view: warning: listening on {hostName}, not loopback; anyone who can reach it can read the run store");
            var results = new RunStoreResults(dbPath);
            await using var app = ViewerApp.Create(results, new ViewerOptions(hostName, portNumber));
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                throw new QedException($"--host/--port: cannot listen on {hostName}:{portNumber}: {e.Message}");
            }
            Console.WriteLine($"qed view: serving {results.Path} at {app.Address} (Ctrl-C to stop)");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            await app.StopAsync(CancellationToken.None);
            return 0;
        });
    }

    private static Command Report()
    {
        var db = DbOption();
        var output = new Option<string>("--out") { Description = "the HTML file to write", Required = true };
        Option<string?> runOpt = new("--run") { Description = "only this run (its id; a unique prefix is enough)" };
        Option<string?> modelOpt = new("--model") { Description = "only runs of this model config name" };
        Option<string?> scaffoldOpt = new("--scaffold") { Description = "only runs with this scaffold (none: without one)" };
        Option<string?> benchOpt = new("--bench") { Description = "only runs of this benchmark" };
        Option<string?> judgeOpt = new("--judge") { Description = "score with this judge's grades only (config name, panel name or id prefix)" };
        var command = new Command("report", "Write one self-contained HTML report (tables and PNG charts) of the selected runs (all by default).")
        {
            db, output, runOpt, modelOpt, scaffoldOpt, benchOpt, judgeOpt,
        };
        return command.WithAction(async (parse, ct) =>
        {
            var selection = new Qed.Stats.RunSelection(parse.GetValue(runOpt), parse.GetValue(modelOpt), parse.GetValue(scaffoldOpt),
                parse.GetValue(benchOpt), parse.GetValue(judgeOpt));
            RunStoreResults results;
            try
            {
                results = await SelectAsync(parse.GetValue(db)!, selection, ct);
            }
            catch (Qed.Stats.AmbiguousSelectionException e)
            {
                Console.Error.WriteLine($"qed report: {e.Message}");
                return Qed.Stats.AmbiguousSelectionException.ExitCode;
            }
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            var html = await new StaticReport(results, new ReportCharts()).RenderAsync(ct);
            OutputPath.Prepare(outPath, OutputKind.File, "--out");
            await AtomicFile.WriteTextAsync(outPath, html, ct);
            Console.WriteLine($"qed report: wrote {outPath} ({new FileInfo(outPath).Length / 1024.0:0} KiB)");
            return 0;
        });
    }

    /// <summary>The report's runs and judges: every run unless flags narrow them; with --judge only that judge's grades count.</summary>
    private static async Task<RunStoreResults> SelectAsync(string db, Qed.Stats.RunSelection selection, CancellationToken ct)
    {
        var all = new RunStoreResults(db);
        if (selection.IsEmpty) return all;
        await using var store = await Qed.Runs.RunStore.OpenReadOnlyAsync(db, ct);
        var pairs = await Qed.Stats.StatsQuery.PairsAsync(store, selection, ct);
        if (pairs.Count == 0) throw Qed.Stats.StatsQuery.Ambiguity(pairs, selection, "");
        return new RunStoreResults(db)
        {
            RunIds = pairs.Select(p => p.Run.RunId).ToHashSet(),
            JudgeIds = selection.Judge is null ? null : pairs.Where(p => p.Judge is not null).Select(p => p.Judge!.Id).ToHashSet(),
        };
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
