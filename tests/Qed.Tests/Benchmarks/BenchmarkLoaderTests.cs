using Qed.Benchmarks;
using Qed.Testing;

namespace Qed.Tests.Benchmarks;

public class BenchmarkLoaderTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "benchmarks", name);

    [SharedDataFact("data/imobench/proofbench_v2.csv")]
    public async Task Imo_proofbench_loads_offline_from_the_data_dir()
    {
        var loader = new BenchmarkLoader(dataDir: SharedData.PathOf("data"), http: null);
        var bench = await loader.LoadAsync("imo-proofbench", null, CancellationToken.None);
        bench.Mode.Should().Be(GradingMode.Proof);
        bench.Problems.Should().HaveCount(60);
        var first = bench.Problems[0];
        first.Id.Should().Be("PB-Basic-001");
        first.ReferenceSolution.Should().StartWith("By taking $x = 0$");
        first.Guidelines.Should().Contain("(Partial)");
        first.Level.Should().Be("IMO-easy");
        first.Category.Should().Be("Algebra");
        bench.Problems.Select(p => p.Level).Distinct().Should().BeEquivalentTo("pre-IMO", "IMO-easy", "IMO-medium", "IMO-hard");
    }

    [SharedDataFact("data/imobench/answerbench_v2.csv")]
    public async Task Imo_answerbench_repairs_the_known_v2_defects()
    {
        var loader = new BenchmarkLoader(dataDir: SharedData.PathOf("data"), http: null);
        var bench = await loader.LoadAsync("imo-answerbench", null, CancellationToken.None);
        bench.Mode.Should().Be(GradingMode.Answer);
        bench.Problems.Should().HaveCount(400);
        var merged = bench.Problems.Single(p => p.Id == "imo-bench-algebra-036");
        merged.ShortAnswer.Should().Be(@"$Y(x)=A+\frac{B}{x}-x$");
        merged.Statement.Should().EndWith(@"\]");
        merged.Category.Should().Be("Algebra");
        merged.Source.Should().Be("Iran 2002");
        bench.Problems.Should().OnlyContain(p => p.ShortAnswer == p.ShortAnswer!.Trim());
        bench.Warnings.Should().Contain(w => w.Contains("imo-bench-algebra-036")).And.Contain(w => w.Contains("trimmed"));
    }

    [Fact]
    public async Task Neither_local_copy_nor_download_names_both()
    {
        using var empty = new TempDirectory();
        using var http = new HttpClient();
        var registry = new[] { new BenchmarkSource("imo-proofbench", "imobench/proofbench_v2.csv", "http://127.0.0.1:9/proofbench_v2.csv", "00", GradingMode.Proof) };
        var loader = new BenchmarkLoader(dataDir: empty.Path, cacheDir: empty.File("cache"), http: http, registry: registry);
        var act = () => loader.LoadAsync("imo-proofbench", null, CancellationToken.None);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should()
            .Contain(Path.Combine(empty.Path, "imobench/proofbench_v2.csv")).And.Contain("http://127.0.0.1:9/proofbench_v2.csv");
    }

    [Fact]
    public async Task Jsonl_columns_are_mapped_by_name()
    {
        var bench = await new BenchmarkLoader().LoadAsync(Fixture("mini.jsonl"), null, CancellationToken.None);
        bench.Mode.Should().Be(GradingMode.MarkingScheme);
        bench.Problems.Select(p => p.Id).Should().Equal("p1", "p2");
        bench.Problems[0].MarkingScheme.Should().StartWith("7: complete proof");
        bench.Problems[0].Category.Should().Be("Number theory");
    }

    [Fact]
    public async Task Csv_with_other_column_names_uses_overrides()
    {
        var bench = await new BenchmarkLoader().LoadAsync(Fixture("mini.csv"), new ColumnMapping { Category = "topic" }, CancellationToken.None);
        bench.Mode.Should().Be(GradingMode.Answer);
        bench.Problems[0].Statement.Should().Be("What is 1+1?\nAnswer in digits.");
        bench.Problems[0].ShortAnswer.Should().Be("2");
        bench.Problems[1].Category.Should().Be("Number theory");
        var act = () => new BenchmarkLoader().LoadAsync(Fixture("mini.csv"), new ColumnMapping { Problem = "nope" }, CancellationToken.None);
        await act.Should().ThrowAsync<QedException>().WithMessage("*mini.csv:1: column 'nope'*");
    }

    [Fact]
    public async Task A_bad_row_names_file_and_line()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("bad.jsonl", "{\"problem\": \"ok\"}\n{\"problem\": \n");
        var act = () => new BenchmarkLoader().LoadAsync(path, null, CancellationToken.None);
        await act.Should().ThrowAsync<QedException>().WithMessage($"{path}:2:*");
        var empty = dir.Write("empty.csv", "Problem ID,Problem\na,\"\"\n");
        var act2 = () => new BenchmarkLoader().LoadAsync(empty, null, CancellationToken.None);
        await act2.Should().ThrowAsync<QedException>().WithMessage($"{empty}:2: field 'Problem'*");
    }
}
