using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>
/// Randomness for scaffold choices (shuffles, block sampling, tie breaks). Each choice gets its own generator seeded
/// from the run and sample identity plus a label naming the choice, so a rerun makes the same choices whatever
/// order parallel branches happened to finish in.
/// </summary>
public static class ScaffoldRandom
{
    public static Random RandomFor(this SolverContext context, string label) =>
        new(BitConverter.ToInt32(Convert.FromHexString(Hashing.Sha256Hex("scaffold-random", context.RunId, context.SampleId, label)[..8])));

    /// <summary>A seeded Fisher–Yates shuffle into a new list.</summary>
    public static List<T> Shuffled<T>(this IEnumerable<T> items, Random random)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
        return list;
    }
}
