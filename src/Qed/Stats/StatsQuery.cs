using Qed.Runs;

namespace Qed.Stats;

/// <summary>
/// Reads the (run, judge) pairs of a store that a selection keeps and scores each on its own. A run has one pair per
/// judge (or panel) that graded any of its samples, in the order the judges first graded; a run no judge has graded yet
/// has one pair with no judge.
/// </summary>
public static class StatsQuery
{
    public static async Task<IReadOnlyList<(RunInfo Run, JudgeRef? Judge)>> PairsAsync(RunStore store, RunSelection selection, CancellationToken ct)
    {
        var pairs = new List<(RunInfo, JudgeRef?)>();
        foreach (var run in selection.Runs(await store.ListRunsAsync(ct)))
        {
            var judges = Judges(await store.ListGradesOfRunAsync(run.RunId, ct));
            if (judges.Count == 0) { if (selection.MatchesJudge(null)) pairs.Add((run, null)); continue; }
            pairs.AddRange(judges.Where(selection.MatchesJudge).Select(j => (run, (JudgeRef?)j)));
        }
        return pairs;
    }

    public static async Task<IReadOnlyList<EvalStats>> ComputeAsync(RunStore store, RunSelection selection, CancellationToken ct)
    {
        var list = new List<EvalStats>();
        foreach (var group in (await PairsAsync(store, selection, ct)).GroupBy(p => p.Run.RunId))
        {
            var run = group.First().Run;
            var samples = await store.ListSamplesAsync(run.RunId, ct);
            var grades = await store.ListGradesOfRunAsync(run.RunId, ct);
            foreach (var (_, judge) in group)
            {
                var mine = judge is null ? new Dictionary<string, GradeRecord>()
                    : grades.Where(g => g.JudgeId == judge.Id).ToDictionary(g => g.SampleId);
                list.Add(EvalStats.Compute(run, judge, samples, mine));
            }
        }
        return list;
    }

    /// <summary>Every (run, judge) of one run, scored as <see cref="ComputeAsync"/> scores it: one per judge in first-graded
    /// order, or one without a judge when nothing is graded yet (the viewer lists runs with this).</summary>
    public static async Task<IReadOnlyList<EvalStats>> ComputeRunAsync(RunStore store, RunInfo run, CancellationToken ct)
    {
        var samples = await store.ListSamplesAsync(run.RunId, ct);
        var grades = await store.ListGradesOfRunAsync(run.RunId, ct);
        var judges = Judges(grades);
        if (judges.Count == 0) return [EvalStats.Compute(run, null, samples, new Dictionary<string, GradeRecord>())];
        return judges.Select(j => EvalStats.Compute(run, j, samples, grades.Where(g => g.JudgeId == j.Id).ToDictionary(g => g.SampleId))).ToList();
    }

    /// <summary>Exactly one (run, judge) pair, or an <see cref="AmbiguousSelectionException"/> naming the candidates.</summary>
    public static async Task<EvalStats> ComputeOneAsync(RunStore store, RunSelection selection, CancellationToken ct)
    {
        var pairs = await PairsAsync(store, selection, ct);
        if (pairs.Count == 1) return (await ComputeAsync(store, selection with { Run = pairs[0].Run.RunId }, ct))
            .Single(s => s.Judge?.Id == pairs[0].Judge?.Id);
        throw Ambiguity(pairs, selection, "print them all with --all");
    }

    public static AmbiguousSelectionException Ambiguity(IReadOnlyList<(RunInfo Run, JudgeRef? Judge)> pairs, RunSelection selection, string alternative)
    {
        if (pairs.Count == 0)
            return new AmbiguousSelectionException(selection.IsEmpty
                ? "the store has no runs yet (run `qed eval` or `qed run` first)"
                : "no (run, judge) in the store matches the selection; `qed stats` lists them", []);
        var names = pairs.Select(p => RunSelection.Describe(p.Run, p.Judge)).ToList();
        var flags = RunSelection.DistinguishingFlags(pairs);
        return new AmbiguousSelectionException(
            $"the selection matches {pairs.Count} (run, judge) pairs; pick one with {string.Join(" or ", flags)}, or {alternative}:\n  "
            + string.Join("\n  ", names), names);
    }

    /// <summary>Distinct judges in first-graded order (a judge is its id; its name is what the user types).</summary>
    public static IReadOnlyList<JudgeRef> Judges(IEnumerable<GradeRecord> grades) =>
        Judges(grades.Select(g => new JudgeRef(g.JudgeId, g.JudgeName)));

    /// <summary>The same, from (judge id, judge name) of each grade in storage order (the viewer reads only those two columns).</summary>
    public static IReadOnlyList<JudgeRef> Judges(IEnumerable<JudgeRef> graded)
    {
        var seen = new Dictionary<string, JudgeRef>();
        var order = new List<JudgeRef>();
        foreach (var g in graded)
            if (!seen.ContainsKey(g.Id)) { seen[g.Id] = g; order.Add(g); }
        // Two prompts under one judge name are two judges: give the later ones their id so rows stay distinguishable.
        return order.GroupBy(j => j.Name).SelectMany(g => g.Count() == 1 ? g : g.Select(j => j with { Name = $"{j.Name}#{j.Id[..8]}" })).ToList();
    }
}
