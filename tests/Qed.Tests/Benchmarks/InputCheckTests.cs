using System.Text;
using Qed.Benchmarks;
using Qed.Testing;

namespace Qed.Tests.Benchmarks;

/// <summary>Bad input files: invalid UTF-8, oversized fields and rows, repeated ids; and streaming (issue 15).</summary>
public class InputCheckTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    public void Dispose() => _dir.Dispose();

    private static readonly byte[] Bad = [0xC3, 0x28]; // a lead byte followed by a non-continuation byte

    private string WriteBytes(string name, params object[] parts)
    {
        var path = _dir.File(name);
        using var f = File.Create(path);
        foreach (var part in parts)
            f.Write(part is string s ? Encoding.UTF8.GetBytes(s) : (byte[])part);
        return path;
    }

    [Fact]
    public async Task Invalid_utf8_in_a_benchmark_csv_is_an_error_naming_its_line()
    {
        // Line 2 holds a field spanning two lines, so the bad byte is on line 4.
        var path = WriteBytes("bad.csv", "problem_id,problem\np1,\"Two\nlines.\"\np2,Caf", Bad, "s.\n");
        var act = () => new BenchmarkLoader().LoadAsync(path, null, CancellationToken.None);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should()
            .StartWith($"{path}:4: invalid UTF-8 (byte 0xC3)").And.Contain("--lenient-utf8");
    }

    [Fact]
    public async Task Lenient_utf8_accepts_the_row_with_a_warning_naming_the_line()
    {
        var path = WriteBytes("bad.jsonl", "{\"id\":\"p1\",\"problem\":\"Fine.\"}\n{\"id\":\"p2\",\"problem\":\"Caf", Bad, "s.\"}\n");
        var warnings = new List<string>();
        var bench = await new BenchmarkLoader(input: new InputOptions { LenientUtf8 = true, Warn = warnings.Add }).LoadAsync(path, null, CancellationToken.None);
        bench.Problems.Should().HaveCount(2);
        bench.Problems[1].Statement.Should().Be("Caf\uFFFD(s.");
        warnings.Should().ContainSingle().Which.Should().StartWith($"{path}:2: invalid UTF-8");

        var strict = () => new BenchmarkLoader().LoadAsync(path, null, CancellationToken.None);
        (await strict.Should().ThrowAsync<QedException>()).Which.Message.Should().StartWith($"{path}:2: invalid UTF-8");
    }

    [Theory]
    [InlineData("rows.jsonl")]
    [InlineData("rows.csv")]
    public async Task Invalid_utf8_in_a_data_file_is_an_error_naming_its_line(string name)
    {
        var path = name.EndsWith(".csv")
            ? WriteBytes(name, "id,problem\na,Fine.\nb,Bad ", Bad, "\n")
            : WriteBytes(name, "{\"id\":\"a\",\"problem\":\"Fine.\"}\n\n{\"id\":\"b\",\"problem\":\"Bad ", Bad, "\"}\n");
        const int line = 3;
        var act = () => Qed.Data.TableReader.ReadAllAsync(path);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().StartWith($"{path}:{line}: invalid UTF-8");
    }

    [Fact]
    public async Task An_oversized_csv_field_is_an_error_naming_line_field_and_limit()
    {
        var path = _dir.Write("big.csv", "problem_id,problem\np1,short\np2,\"" + new string('x', 5000) + "\"\n");
        var loader = new BenchmarkLoader(input: new InputOptions { Limits = new InputLimits(1000, 4000) });
        var act = () => loader.LoadAsync(path, null, CancellationToken.None);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should()
            .Be($"{path}:3: field 'problem' is longer than the 1,000 characters field limit");
    }

    [Fact]
    public async Task An_oversized_jsonl_row_is_an_error_naming_the_field_being_read()
    {
        var path = _dir.Write("big.jsonl", "{\"id\":\"p1\",\"problem\":\"ok\"}\n{\"id\":\"p2\",\"problem\":\"" + new string('x', 5000) + "\"}\n");
        var loader = new BenchmarkLoader(input: new InputOptions { Limits = new InputLimits(1000, 4000) });
        var act = () => loader.LoadAsync(path, null, CancellationToken.None);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should()
            .StartWith($"{path}:2: field 'problem': the row is longer than the 4,000 characters row limit");

        var rows = new List<Qed.Data.DataRow>();
        var data = async () =>
        {
            await foreach (var row in Qed.Data.TableReader.ReadAsync(path, new InputOptions { Limits = new InputLimits(1000, 4000) })) rows.Add(row);
        };
        (await data.Should().ThrowAsync<QedException>()).Which.Message.Should().StartWith($"{path}:2: field 'problem'");
    }

    [Theory]
    [InlineData("{\"id\":\"p1\",\"problem\":\"abc", "problem")]
    [InlineData("{\"id\":\"p1\",\"meta\":{\"x\":\"y\"},\"solution\":\"a\\\"b", "solution")]
    [InlineData("{\"id\":\"p", "id")]
    [InlineData("{", null)]
    public void The_open_field_of_a_cut_json_row_is_found(string prefix, string? field) =>
        JsonPrefix.OpenField(prefix).Should().Be(field);

    [Fact]
    public async Task Opening_with_a_limit_reads_only_the_rows_it_needs()
    {
        // Row 10 is broken; --limit 2 never reaches it.
        var text = new StringBuilder("problem_id,problem\n");
        for (var i = 1; i <= 8; i++) text.Append($"p{i},Problem {i}.\n");
        var path = WriteBytes("many.csv", text.ToString(), "p9,Bad ", Bad, "\n");
        var opened = await new BenchmarkLoader().OpenAsync(path, null, 2, null, CancellationToken.None);
        opened.Count.Should().Be(2);
        var read = new List<Problem>();
        await foreach (var p in opened.Open(CancellationToken.None)) read.Add(p);
        read.Select(p => p.Id).Should().Equal("p1", "p2");

        var all = () => new BenchmarkLoader().OpenAsync(path, null, null, null, CancellationToken.None);
        (await all.Should().ThrowAsync<QedException>()).Which.Message.Should().StartWith($"{path}:10: invalid UTF-8");
    }

    [Fact]
    public async Task A_repeated_id_is_an_error_naming_both_lines_when_streaming()
    {
        var path = _dir.Write("dup.csv", "problem_id,problem\np1,A.\np2,B.\np1,C.\n");
        var act = () => new BenchmarkLoader().OpenAsync(path, null, null, null, CancellationToken.None);
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Be($"{path}:4: problem id 'p1' already used on line 2");
        (await new BenchmarkLoader().OpenAsync(path, null, 2, null, CancellationToken.None)).Count.Should().Be(2, "the repeat lies beyond --limit 2");
    }
}

