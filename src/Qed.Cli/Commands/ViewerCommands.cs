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
        var command = new Command("report", "Write one self-contained HTML report (tables and PNG charts) of every run in the store.") { db, output };
        return command.WithAction(async (parse, ct) =>
        {
            var results = new RunStoreResults(parse.GetValue(db)!);
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            var html = await new StaticReport(results, new ReportCharts()).RenderAsync(ct);
            OutputPath.Prepare(outPath, OutputKind.File, "--out");
            await AtomicFile.WriteTextAsync(outPath, html, ct);
            Console.WriteLine($"qed report: wrote {outPath} ({new FileInfo(outPath).Length / 1024.0:0} KiB)");
            return 0;
        });
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
