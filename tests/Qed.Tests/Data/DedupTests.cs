using Qed.Data;
using System.Text.Json.Nodes;

namespace Qed.Tests.Data;

public class DedupTests
{
    [Fact]
    public async Task Keeps_the_first_of_each_group_of_near_duplicates()
    {
        using var dir = new TempDir();
        var baseText = "Let a, b, c be positive real numbers with abc = 1. Prove that a^2 + b^2 + c^2 is at least a + b + c, and find when equality holds in this inequality for all such triples.";
        var rows = new List<JsonObject>
        {
            new() { ["id"] = 1, ["problem"] = baseText },
            new() { ["id"] = 2, ["problem"] = "Find all integers n such that n^2 + 1 divides n^3 + 3 and prove that there are no others at all." },
            new() { ["id"] = 3, ["problem"] = baseText.Replace("Prove", "prove") + " " },
            new() { ["id"] = 4, ["problem"] = baseText.Replace("for all such triples.", "for all such triples!") .Replace("Let", "Suppose") },
            new() { ["id"] = 5, ["problem"] = "A completely different problem about graphs: show every tree with n vertices has n - 1 edges." },
            new() { ["id"] = 6, ["problem"] = "Find all integers n such that n^2 + 1 divides n^3 + 3 and prove that there are no others at all." },
        };
        var input = dir.File("in.jsonl");
        await TableWriter.WriteAsync(input, rows);

        var summary = await DedupStage.RunAsync(input, dir.File("out.csv"), new DedupOptions { Threshold = 0.8 });

        summary.Should().Be(new DedupSummary(6, 3, 3));
        (await TableReader.ReadAllAsync(dir.File("out.csv"))).Select(r => r.Text("id")).Should().Equal("1", "2", "5");
    }

    [Fact]
    public void A_lower_threshold_merges_looser_paraphrases()
    {
        var a = "In a convex polygon with n sides, prove that the number of diagonals equals n(n-3)/2 for every n at least three.";
        var b = "In a convex polygon with n sides, show that the count of diagonals equals n(n-3)/2 for every n at least three.";
        new Deduplicator(new DedupOptions { Threshold = 0.95 }).Apply(a, b).Should().Equal(true, true);
        new Deduplicator(new DedupOptions { Threshold = 0.5 }).Apply(a, b).Should().Equal(true, false);
    }

    [Fact]
    public void Lsh_bands_find_pairs_at_the_threshold()
    {
        foreach (var t in new[] { 0.5, 0.7, 0.8, 0.9 })
        {
            var (b, r) = LshIndex.BandsFor(128, t);
            (b * r).Should().BeLessThanOrEqualTo(128);
            (1 - Math.Pow(1 - Math.Pow(t, r), b)).Should().BeGreaterThanOrEqualTo(0.97);
            r.Should().BeGreaterThan(1, "one row per band would make nearly every pair a candidate");
        }
    }
}

internal static class DeduplicatorExtensions
{
    public static bool[] Apply(this Deduplicator d, params string[] texts) => texts.Select(t => d.Offer(t).Kept).ToArray();
}
