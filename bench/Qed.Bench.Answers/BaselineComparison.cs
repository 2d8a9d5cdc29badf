using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using Qed.Answers;

/// <summary>
/// Before/after in one run: another build of Qed.Core (a folder holding its Qed.Core.dll, e.g. a copy of this
/// bench's output made before a change) is loaded beside the current one, and the two check the same cases in
/// alternating slices of 100 ms, so both see the same machine load. Adds the two rates and their ratio (current over
/// baseline) to the BENCH line; a build compared with a copy of itself gives a ratio near 1.
/// </summary>
internal static class BaselineComparison
{
    public static Dictionary<string, object> Run(string baselineDir, List<AnswerCase> cases, double seconds)
    {
        // Both builds are loaded the same way (own load context, called through reflection), so the call overhead is
        // the same on both sides and only the checker differs.
        var baseline = Load("baseline", baselineDir, cases);
        var current = Load("current", AppContext.BaseDirectory, cases);
        for (var round = 0; round < 20; round++)
            for (var k = 0; k < cases.Count; k++) { baseline(k); current(k); }

        long baselineChecks = 0, currentChecks = 0;
        var baselineTime = TimeSpan.Zero;
        var currentTime = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < 2 * seconds)
        {
            baselineChecks += Slice(baseline, cases.Count, ref baselineTime);
            currentChecks += Slice(current, cases.Count, ref currentTime);
        }
        var before = baselineChecks / baselineTime.TotalSeconds;
        var after = currentChecks / currentTime.TotalSeconds;
        return new Dictionary<string, object>
        {
            ["baseline_cases_per_s"] = Math.Round(before, 1),
            ["current_cases_per_s"] = Math.Round(after, 1),
            ["speed_ratio"] = Math.Round(after / before, 3),
        };
    }

    /// <summary>A check of case k by the Qed.Core.dll in <paramref name="dir"/>, with each case's options copied into
    /// that build's AnswerOptions (properties it lacks keep its defaults).</summary>
    private static Action<int> Load(string name, string dir, List<AnswerCase> cases)
    {
        var context = new AssemblyLoadContext(name, isCollectible: false);
        var assembly = context.LoadFromAssemblyPath(Path.GetFullPath(Path.Combine(dir, "Qed.Core.dll")));
        var checker = assembly.GetType("Qed.Answers.AnswerChecker", throwOnError: true)!;
        var optionsType = assembly.GetType("Qed.Answers.AnswerOptions", throwOnError: true)!;
        var check = checker.GetMethod("Check", BindingFlags.Public | BindingFlags.Static)!;
        var options = cases.Select(c =>
        {
            var o = Activator.CreateInstance(optionsType)!;
            foreach (var p in typeof(AnswerOptions).GetProperties())
                if (optionsType.GetProperty(p.Name) is { CanWrite: true } q && q.PropertyType == p.PropertyType) q.SetValue(o, p.GetValue(c.Options));
            return o;
        }).ToArray();
        var arguments = new object?[4];
        return k =>
        {
            arguments[0] = cases[k].Gold;
            arguments[1] = cases[k].Pred;
            arguments[2] = options[k];
            arguments[3] = CancellationToken.None;
            check.Invoke(null, arguments);
        };
    }

    private static long Slice(Action<int> one, int count, ref TimeSpan spent)
    {
        var clock = Stopwatch.StartNew();
        long n = 0;
        while (clock.ElapsedMilliseconds < 100)
            for (var k = 0; k < count; k++, n++) one(k);
        spent += clock.Elapsed;
        return n;
    }
}
