namespace Qed.Viewer.Tests.Viewer;

/// <summary>A small but complete store: two plain runs and one scaffold run on IMO-ProofBench-like problems,
/// one run on another benchmark, and one proof that tries every trick to run script or load remote content.</summary>
public static class SeedData
{
    public const string XssProblemId = "PB-Basic-004";

    /// <summary>A run id as qed eval makes them (a SHA-256 content hash), and a problem id with a slash in it.</summary>
    public const string HashRunId = "3f9a0c1d5be24e7a9d8c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e";
    public const string SlashProblemId = "ISL-2023/A1";

    /// <summary>Each payload sets a flag on window if it ever executes; the page must leave them all unset.</summary>
    public const string HostileProof = """
        **Proof.** We show $x^2 \ge 0$ for all real $x$.

        <script>window.__pwned = 'script';</script>
        <img src="x" onerror="window.__pwned = 'img-onerror'">
        <svg onload="window.__pwned = 'svg'"></svg>

        [click for the lemma](javascript:window.__pwned='js-link')
        [reference link][evil]
        <javascript:window.__pwned='autolink'>
        ![diagram](http://203.0.113.7/diagram.png)
        <iframe src="http://203.0.113.7/frame"></iframe>
        $\href{javascript:window.__pwned='katex-href'}{\text{math link}}$ and $\htmlId{x}{y}$

        Hence $$\sum_{i=1}^{n} x_i^2 \ge 0.$$ ∎

        [evil]: javascript:window.__pwned='reference'
        """;

    public static readonly SeedProblem[] Problems =
    [
        new("PB-Basic-001", "Prove that for all positive reals $a, b$ we have $\\frac{a+b}{2} \\ge \\sqrt{ab}$.", "Basic", "Algebra",
            "Since $(\\sqrt a - \\sqrt b)^2 \\ge 0$, expanding gives $a + b \\ge 2\\sqrt{ab}$.", "Award 7 for a complete argument; 1 for squaring without justification."),
        new("PB-Basic-002", "Show that $n^3 - n$ is divisible by $6$ for every integer $n$.", "Basic", "Number theory",
            "$n^3 - n = (n-1)n(n+1)$ is a product of three consecutive integers.", "7 for the factorisation and both divisibilities."),
        new("PB-Basic-003", "In triangle $ABC$, prove that the three medians are concurrent.", "Basic", "Geometry",
            "Use Ceva's theorem with ratios $\\frac{BD}{DC} = 1$.", "Full marks need the converse of Ceva."),
        new(XssProblemId, "Prove that $x^2 \\ge 0$ for every real $x$.", "Basic", "Algebra", "Trivial: squares are non-negative.", "Any proof."),
        new("PB-Adv-001", "Let $f:\\mathbb{R}\\to\\mathbb{R}$ satisfy $f(x+y) = f(x) + f(y)$ and be monotone. Prove $f(x) = cx$.", "Advanced", "Algebra",
            "Cauchy's equation plus monotonicity gives linearity on $\\mathbb{Q}$ and then on $\\mathbb{R}$.", "2 points for rationals, 5 for extending."),
        new("PB-Adv-002", "How many ways can $2n$ people be paired? Prove your formula $(2n-1)!!$.", "Advanced", "Combinatorics",
            "Induct on $n$: the first person has $2n-1$ partners.", "7 for induction with base case."),
    ];

    public static string Proof(SeedProblem p, int i) => $$"""
        **Proof of {{p.Id}}, attempt {{i}}.** We argue with the key inequality $a_1^2 + a_2^2 \ge 2 a_1 a_2$, i.e.

        $$\sum_{k=1}^{n} \left(x_k - \bar{x}\right)^2 \ge 0.$$

        Moreover \(\frac{1}{2} \cdot 2 = 1\), and

        \begin{align*}
        (n-1)n(n+1) &= n^3 - n \\
                    &\equiv 0 \pmod 6.
        \end{align*}

        This completes the proof. ∎
        """;

    public static IReadOnlyList<SeedRun> Runs()
    {
        var runs = new List<SeedRun>();
        double[] pointsA = [0, 1, 7, 6, 0, 7];
        double[] pointsB = [7, 7, 6, 7, 1, 7];
        runs.Add(Plain("run-base", "qwen3-4b-thinking-2507", pointsA));
        runs.Add(Plain("run-nano", "qed-nano", pointsB));

        var scaffold = new List<SeedSample>();
        foreach (var (p, j) in Problems.Select((p, j) => (p, j)))
            for (var i = 0; i < 2; i++)
            {
                var steps = new List<SeedStep>
                {
                    new("reason", "solver", $"Solve: {p.Statement}", $"First attempt: consider $x_{i}$ …", 3000, 20_000 * (i + 1)),
                    new("summarize", "summarizer", "Summarise the attempt.", "Summary: the key step is $a^2 \\ge 0$.", 21_000, 800),
                    new("reason", "solver", "Continue from the summary.", Proof(p, i), 1_500, 15_000 * (j + 1)),
                };
                scaffold.Add(new SeedSample(p, i, "ok", Proof(p, i), pointsB[j], "The proof is complete and rigorous. <points>7</points>",
                    InputTokens: 25_500, OutputTokens: 35_800 + 15_000 * j, CostUsd: 0.05, Steps: steps));
            }
        runs.Add(new SeedRun("run-rc", "imo-proofbench", "qed-nano", "reasoning-cache", scaffold));

        var other = Problems.Take(2).Append(new SeedProblem(SlashProblemId, "Prove that $\\sqrt{2}$ is irrational.", null, null))
            .Select(p => new SeedSample(p with { MarkingScheme = "1 point per lemma." }, 0, "ok", Proof(p, 0), 5, "Mostly right.")).ToList();
        runs.Add(new SeedRun(HashRunId, "proofbench", "qed-nano", null, other));
        return runs;
    }

    private static SeedRun Plain(string runId, string model, double[] points)
    {
        var samples = new List<SeedSample>();
        for (var j = 0; j < Problems.Length; j++)
        {
            var p = Problems[j];
            for (var i = 0; i < 3; i++)
            {
                var text = p.Id == XssProblemId && i == 0 ? HostileProof : Proof(p, i);
                var (status, pts, failed, error) = (j, i) switch
                {
                    (1, 2) => ("truncated", (double?)0.0, false, (string?)null),
                    (2, 2) => ("failed", null, false, "endpoint returned 503 three times"),
                    (4, 1) => ("ok", null, true, null),
                    _ => ("ok", (double?)(i == 1 ? Math.Max(0, points[j] - 1) : points[j]), false, null),
                };
                samples.Add(new SeedSample(p, i, status, status == "failed" ? null : text, pts,
                    pts is null ? null : $"The key step is justified: $a^2 \\ge 0$. Minor gap in the base case. <points>{pts}</points>",
                    failed, Reasoning: $"Let me think about {p.Id}… maybe $x = 1$ works.", Error: error,
                    InputTokens: 400 + 10 * j, OutputTokens: 1_000 + 1_500 * j + 300 * i, CostUsd: 0.002 * (j + 1)));
            }
        }
        return new SeedRun(runId, "imo-proofbench", model, null, samples);
    }

    /// <summary>One run of <paramref name="problems"/> × <paramref name="perProblem"/> graded samples, for paging and load.</summary>
    public static SeedRun Large(string runId, int problems, int perProblem)
    {
        var samples = new List<SeedSample>(problems * perProblem);
        string[] levels = ["Basic", "Advanced"];
        string[] categories = ["Algebra", "Combinatorics", "Geometry", "Number theory"];
        for (var j = 0; j < problems; j++)
        {
            var p = new SeedProblem($"L-{j:D5}", $"Problem {j}: prove that $n_{{{j}}} > 0$.", levels[j % 2], categories[j % 4]);
            for (var i = 0; i < perProblem; i++)
                samples.Add(new SeedSample(p, i, "ok", $"Proof {j}.{i}: since $n > 0$ … " + (j == 7 ? new string('a', 40) + "!" : ""),
                    (j + i) % 8 == 0 ? 7 : (j % 3 == 0 ? 1 : 0), "ok", OutputTokens: 1000 + j));
        }
        return new SeedRun(runId, "fineproofs-rl", "qed-nano", null, samples);
    }
}
