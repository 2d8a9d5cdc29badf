using Qed.Data;
using Qed.Testing;
using System.Text.Json.Nodes;

namespace Qed.Tests.Data;

public class DecontaminationTests
{
    private static string Fixture(string name) => Path.Combine(RepoPaths.Fixtures, "data", name);

    [Fact]
    public async Task Removes_verbatim_reformatted_paraphrased_and_embedded_benchmark_problems_and_keeps_clean_ones()
    {
        using var dir = new TempDir();
        var benchmarks = await BenchmarkTexts.LoadAsync(Fixture("mini-bench.jsonl"), dataDir: null);
        var output = dir.File("clean.jsonl");
        var report = dir.File("report.json");

        var summary = await DecontaminateStage.RunAsync(Fixture("candidates.jsonl"), benchmarks, output, report, new DecontaminationOptions());

        var kept = await TableReader.ReadAllAsync(output);
        kept.Select(r => r.Text("id")).Should().Equal("clean-1", "clean-2", "clean-3");
        summary.Should().Be(new DecontaminateSummary(Rows: 7, Kept: 3, Removed: 4, Hits: 4, BenchmarkProblems: 4));

        var hits = JsonNode.Parse(File.ReadAllText(report))!["hits"]!.AsArray();
        var byId = hits.ToDictionary(h => h!["id"]!.GetValue<string>(), h => h!);
        byId.Keys.Should().BeEquivalentTo("verbatim", "reformatted", "paraphrased", "embedded");
        byId["verbatim"]["benchmark_id"]!.GetValue<string>().Should().Be("MINI-001");
        byId["verbatim"]["method"]!.GetValue<string>().Should().Be("ngram");
        byId["reformatted"]["benchmark_id"]!.GetValue<string>().Should().Be("MINI-002");
        byId["reformatted"]["method"]!.GetValue<string>().Should().Be("ngram", "LaTeX and Unicode spellings normalise to the same words");
        byId["paraphrased"]["benchmark_id"]!.GetValue<string>().Should().Be("MINI-004");
        byId["paraphrased"]["benchmark"]!.GetValue<string>().Should().Be("mini-bench");
        byId["embedded"]["benchmark_id"]!.GetValue<string>().Should().Be("MINI-003");
        byId["embedded"]["line"]!.GetValue<long>().Should().Be(6);
    }

    [Fact]
    public async Task Benchmarks_can_be_read_from_csv_with_multiline_problems()
    {
        var benchmarks = await BenchmarkTexts.LoadAsync(Fixture("mini-bench.csv"), dataDir: null);
        benchmarks.Should().HaveCount(2);
        var d = new Decontaminator(benchmarks);

        var hits = d.Check("Show that for each prime p > 3, the number p^2 - 1 is divisible by 24 using only congruences modulo 3 and modulo 8.");

        hits.Should().ContainSingle().Which.Benchmark.Id.Should().Be("CSV-001");
        d.Check("Determine all pairs of primes (p, q) such that p^q + q^p is prime.").Should().BeEmpty();
    }

    [Fact]
    public void A_shared_run_of_formula_symbols_alone_is_not_contamination()
    {
        BenchmarkText[] bench = [new("b", "FE-1",
            "Determine all functions $f$ from the reals to the reals such that $f(x + f(y)) = f(x) + f(f(y)) + x y + f(y f(x))$ holds for every pair of real numbers.")];
        const string other = "Let $g$ be a polynomial with integer coefficients; suppose $f(x + f(y)) = f(x) + f(f(y)) + x y + f(y f(x))$ and count the roots of g modulo a prime.";

        new Decontaminator(bench, new DecontaminationOptions { MinWordTokens = 0 }).Check(other)
            .Should().ContainSingle("15 shared formula tokens make a 13-gram in common").Which.Method.Should().Be("ngram");
        new Decontaminator(bench).Check(other)
            .Should().BeEmpty("those 13-grams are only one-letter variables: f x f y f x f f y x y f y");
        new Decontaminator(bench).Check("Find every function $f$ from the reals to the reals such that $f(x+f(y)) = f(x)+f(f(y))+xy+f(yf(x))$ holds for every pair of real numbers.")
            .Should().ContainSingle();
    }

    [Fact]
    public void Normalisation_makes_formatting_variants_equal()
    {
        TextNormalizer.Tokens(@"$f(0) \leq 7$ and $\displaystyle\frac{a}{b} \geq \left(x\right)$")
            .Should().Equal(TextNormalizer.Tokens("f(0) ≤ 7 and \\dfrac{a}{b} >= (x)"));
    }

    [Fact]
    public async Task An_unknown_benchmark_name_is_a_clear_error()
    {
        var act = () => BenchmarkTexts.LoadAsync("imo-nonsense", dataDir: "/nowhere");
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain("imo-nonsense").And.Contain("neither a known id");
    }

    [SharedDataFact("data/imobench/proofbench_v2.csv", "data/imobench/answerbench_v2.csv")]
    public async Task Finds_planted_imo_bench_problems_among_clean_ones()
    {
        using var dir = new TempDir();
        var dataDir = SharedData.PathOf("data");
        var benchmarks = await BenchmarkTexts.LoadAsync("imo-proofbench,imo-answerbench", dataDir);
        benchmarks.Count.Should().Be(460);
        var proof = benchmarks.First(b => b.Id == "PB-Basic-002");
        var answer = benchmarks.First(b => b.Benchmark == "imo-answerbench" && b.Text.Length > 200);

        var rows = new List<JsonObject>
        {
            new() { ["id"] = "clean-a", ["problem"] = "Prove that the product of four consecutive positive integers is never a perfect square." },
            new() { ["id"] = "planted-proof", ["problem"] = "Problem 3. " + proof.Text.Replace("$", "").Replace("  ", " ") },
            new() { ["id"] = "clean-b", ["problem"] = "Let $ABC$ be an acute triangle with orthocenter $H$. Prove that the reflections of $H$ over the sides lie on the circumcircle." },
            new() { ["id"] = "planted-answer", ["problem"] = answer.Text.ToUpperInvariant().Replace("\n", " ") },
        };
        var input = dir.File("in.parquet");
        await TableWriter.WriteAsync(input, rows);

        var summary = await DecontaminateStage.RunAsync(input, benchmarks, dir.File("out.parquet"), dir.File("r.json"), new DecontaminationOptions());

        (await TableReader.ReadAllAsync(dir.File("out.parquet"))).Select(r => r.Text("id")).Should().Equal("clean-a", "clean-b");
        summary.Removed.Should().Be(2);
        var hits = JsonNode.Parse(File.ReadAllText(dir.File("r.json")))!["hits"]!.AsArray();
        hits.Select(h => (h!["id"]!.GetValue<string>(), h["benchmark_id"]!.GetValue<string>()))
            .Should().Contain([("planted-proof", "PB-Basic-002"), ("planted-answer", answer.Id)]);
    }
}
