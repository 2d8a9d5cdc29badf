using System.Diagnostics;

namespace Qed.Testing;

/// <summary>What a finished <c>qed</c> process printed.</summary>
public sealed record QedResult(int ExitCode, string StdOut, string StdErr);

/// <summary>
/// Starts the built CLI (<c>dotnet qed.dll ARGS</c>) as a real process, as a user would. Test projects that
/// reference Qed.Cli find <c>qed.dll</c> beside themselves.
/// </summary>
public static class QedProcess
{
    public static string DllPath
    {
        get
        {
            var beside = Path.Combine(AppContext.BaseDirectory, "qed.dll");
            if (File.Exists(beside)) return beside;
            // The build drops qed.dll beside Qed.dll (names differing only in case); use the CLI's own output,
            // same configuration as the tests.
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
            var own = Path.Combine(RepoPaths.Root, "src", "Qed.Cli", "bin", configuration, "net10.0", "qed.dll");
            if (File.Exists(own)) return own;
            throw new InvalidOperationException($"qed.dll not found beside the tests ({AppContext.BaseDirectory}) nor at {own}; reference src/Qed.Cli");
        }
    }

    public static Process Start(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(DllPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["QED_HOME"] = RepoPaths.Root;
        psi.Environment["NO_COLOR"] = "1";
        if (environment is not null)
            foreach (var (k, v) in environment)
            {
                if (v is null) psi.Environment.Remove(k);
                else psi.Environment[k] = v;
            }
        return Process.Start(psi) ?? throw new InvalidOperationException("cannot start dotnet");
    }

    public static async Task<QedResult> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?>? environment,
        TimeSpan timeout, params string[] args)
    {
        using var p = Start(workingDirectory, environment, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"qed {string.Join(' ', args)} did not finish within {timeout}; stderr: {await stderr}");
        }
        return new QedResult(p.ExitCode, await stdout, await stderr);
    }
}
