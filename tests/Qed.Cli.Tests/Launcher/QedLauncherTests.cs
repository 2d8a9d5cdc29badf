using System.Diagnostics;
using Qed.Testing;

namespace Qed.Cli.Tests.Launcher;

/// <summary>The <c>./qed</c> launcher rebuilds when a source changed and only then: build outputs under bin/ and obj/
/// (what <c>dotnet build Qed.slnx</c> writes) are not sources. Runs the real script in a scratch tree with a stand-in
/// <c>dotnet</c> on PATH that records each build, so no real build happens.</summary>
public sealed class QedLauncherTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("qed-launcher-").FullName;
    private string Log => Path.Combine(_root, "dotnet.log");

    public QedLauncherTests()
    {
        File.Copy(Path.Combine(RepoPaths.Root, "qed"), Path.Combine(_root, "qed"));
        foreach (var dir in new[] { "src/Qed.Cli", "src/Qed", "configs/models", "build", "bin-fake" })
            Directory.CreateDirectory(Path.Combine(_root, dir));
        foreach (var file in new[] { "src/Qed.Cli/Program.cs", "src/Qed/Core.cs", "configs/models/m.yaml", "build/x.targets",
                     "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            File.WriteAllText(Path.Combine(_root, file), "");
        var fake = Path.Combine(_root, "bin-fake", "dotnet");
        File.WriteAllText(fake, """
            #!/usr/bin/env bash
            if [[ "$1" == build ]]; then
              echo build >> "$FAKE_DOTNET_LOG"
              while [[ $# -gt 0 ]]; do [[ "$1" == -o ]] && { mkdir -p "$2"; touch "$2/qed.dll"; }; shift; done
              exit 0
            fi
            echo run >> "$FAKE_DOTNET_LOG"
            """.Replace("\r", ""));
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private async Task<int> BuildsAfterRunAsync()
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(_root, "qed"));
        psi.ArgumentList.Add("--version");
        psi.Environment["PATH"] = Path.Combine(_root, "bin-fake") + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment["FAKE_DOTNET_LOG"] = Log;
        using var p = Process.Start(psi)!;
        await p.WaitForExitAsync();
        p.ExitCode.Should().Be(0, await p.StandardError.ReadToEndAsync());
        return File.ReadAllLines(Log).Count(l => l == "build");
    }

    /// <summary>Everything written so far is older than the stamp: the next change is the only news.</summary>
    private void AgeEverything()
    {
        var old = DateTime.UtcNow.AddHours(-2);
        foreach (var f in Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(f, old);
        File.SetLastWriteTimeUtc(Path.Combine(_root, ".build", "cli", ".stamp"), DateTime.UtcNow.AddHours(-1));
    }

    private void Touch(string relative)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "changed");
    }

    [Fact]
    public async Task Build_outputs_are_not_sources_but_sources_and_build_settings_are()
    {
        (await BuildsAfterRunAsync()).Should().Be(1, "the first use builds");
        AgeEverything();
        (await BuildsAfterRunAsync()).Should().Be(1, "nothing changed");

        // What `dotnet build Qed.slnx` leaves behind.
        Touch("src/Qed.Cli/obj/Release/net10.0/qed.dll");
        Touch("src/Qed/bin/Release/net10.0/Qed.Core.dll");
        Touch("src/Qed/obj/project.assets.json");
        (await BuildsAfterRunAsync()).Should().Be(1, "bin/ and obj/ are build outputs");

        Touch("src/Qed/Core.cs");
        (await BuildsAfterRunAsync()).Should().Be(2, "a source changed");
        AgeEverything();
        Touch("Directory.Build.targets");
        (await BuildsAfterRunAsync()).Should().Be(3, "build settings are sources too");
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
