using Qed.IO;
using Qed.Runs;
using Qed.Testing;

namespace Qed.Cli.Tests.CommandLine;

/// <summary>One rule for every path a command writes (docs/cli.md, "Output paths"): missing parent folders are created;
/// a folder given for a file, a file given as a folder, or a place that cannot be written is refused with one line before
/// anything starts (exit 2); nothing is left behind.</summary>
public sealed class OutputPathTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);
    private static string Bench => Path.Combine(RepoPaths.Fixtures, "benchmarks", "proofs.csv");

    public async Task InitializeAsync()
    {
        await using var store = await RunStore.OpenAsync(_dir.File("s.db"));
        Directory.CreateDirectory(_dir.File("DIR"));
        _dir.Write("FILE", "a file, not a folder");
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private Task<QedResult> Qed(params string[] args) => QedProcess.RunAsync(_dir.Path, null, Limit, args);

    private string[] Listing() => Directory.EnumerateFileSystemEntries(_dir.Path, "*", SearchOption.AllDirectories)
        .Select(p => Path.GetRelativePath(_dir.Path, p)).Order().ToArray();

    public static TheoryData<string[], string> Refused => new()
    {
        { ["export", "--db", "s.db", "--out", "DIR"], "qed export: --out: DIR is a folder; name a file inside it" },
        { ["export", "--db", "s.db", "--out", "FILE/x.jsonl"], "qed export: --out: " },
        { ["export", "--db", "s.db", "--out", "/proc/x.jsonl"], "qed export: --out: cannot write in /proc" },
        { ["report", "--db", "s.db", "--out", "DIR"], "qed report: --out: DIR is a folder; name a file inside it" },
        { ["report", "--db", "s.db", "--out", "FILE/x.html"], "qed report: --out: " },
        { ["eval", "--bench", Bench, "--model", "m.yaml", "--judge", "j.yaml", "--db", "FILE/x.db"], "qed eval: --db: " },
        { ["run", "--bench", Bench, "--model", "m.yaml", "--db", "DIR"], "qed run: --db: DIR is a folder; name a file inside it" },
        { ["eval", "--bench", Bench, "--model", "m.yaml", "--judge", "j.yaml", "--out", "DIR"], "qed eval: --out: DIR is a folder" },
        { ["data", "dedup", "--in", "in.jsonl", "--out", "FILE/y.jsonl"], "qed dedup: --out: " },
        { ["train", "sft", "--config", "c.yaml", "--out", "FILE"], "qed sft: --out: FILE is a file, not a folder" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task An_unwritable_output_is_one_line_exit_2_and_leaves_nothing(string[] args, string start)
    {
        var before = Listing();
        var r = await Qed(args);
        r.ExitCode.Should().Be(2, r.StdErr);
        var lines = r.StdErr.Trim().Split('\n');
        lines[0].Should().StartWith(start);
        lines.Should().HaveCount(1, "one line: " + r.StdErr);
        r.StdErr.Should().NotContain("   at ").And.NotContain("Exception");
        Listing().Should().Equal(before, "a refused command leaves nothing behind (no .tmp, no store, no folder)");
    }

    [Fact]
    public async Task Missing_parent_folders_are_created_for_every_writer()
    {
        var export = await Qed("export", "--db", "s.db", "--out", "new/a/rows.jsonl");
        export.ExitCode.Should().Be(0, export.StdErr);
        File.Exists(_dir.File("new/a/rows.jsonl")).Should().BeTrue();

        var report = await Qed("report", "--db", "s.db", "--out", "new/b/report.html");
        report.ExitCode.Should().Be(0, report.StdErr);
        File.Exists(_dir.File("new/b/report.html")).Should().BeTrue();
        Directory.EnumerateFiles(_dir.File("new/b")).Should().ContainSingle("no temporary file is left beside the report");
    }

    [Fact]
    public void The_rule_checks_without_touching_the_disk()
    {
        OutputPath.Problem(_dir.File("DIR"), OutputKind.File).Should().Contain("is a folder");
        OutputPath.Problem(_dir.File("FILE/x"), OutputKind.File).Should().Contain("is a file");
        OutputPath.Problem(_dir.File("FILE"), OutputKind.Folder).Should().Contain("is a file, not a folder");
        OutputPath.Problem("/proc/qed-x/y.jsonl", OutputKind.File).Should().Contain("cannot write in /proc");
        OutputPath.Problem(_dir.File("a/b/c.jsonl"), OutputKind.File).Should().BeNull();
        OutputPath.Problem(_dir.File("DIR"), OutputKind.Folder).Should().BeNull();
        Directory.Exists(_dir.File("a")).Should().BeFalse("Problem only looks");
        var full = OutputPath.Prepare(_dir.File("a/b/c.jsonl"), OutputKind.File, "--out");
        Directory.Exists(_dir.File("a/b")).Should().BeTrue("Prepare creates the missing folders");
        File.Exists(full).Should().BeFalse("the file itself is the writer's");
        var refuse = () => OutputPath.Prepare(_dir.File("DIR"), OutputKind.File, "--out");
        refuse.Should().Throw<QedException>().WithMessage("--out: *is a folder*");
    }
}
