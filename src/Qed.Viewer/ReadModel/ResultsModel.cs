namespace Qed.Viewer.ReadModel;

/// <summary>Tokens and money one sample, step or run spent. Cost is null when no price was known.</summary>
public sealed record UsageView(long InputTokens, long OutputTokens, decimal? CostUsd)
{
    public static UsageView None { get; } = new(0, 0, null);
    public long TotalTokens => InputTokens + OutputTokens;
}

/// <summary>One run as the viewer lists it, scored as <c>qed stats</c> scores (Qed.Stats.EvalStats): only finished
/// samples with a successful grade count; each repetition (run index) gets the mean of points / max points, and
/// <see cref="Score"/> is the mean over repetitions (avg@k), in [0, 1]; null when nothing has been graded
/// (never a silent 0). <see cref="Usage"/> is what solving spent; <see cref="JudgeCostUsd"/> what grading spent.</summary>
public sealed record RunSummary(
    string RunId, string Model, string Benchmark, string? Scaffold, DateTimeOffset? StartedAt,
    int Samples, int Graded, double? Score, UsageView Usage, IReadOnlyDictionary<string, int> Statuses,
    IReadOnlyList<double> RepetitionScores, decimal JudgeCostUsd = 0)
{
    /// <summary>Sample standard deviation (ddof 1) over repetitions (as <c>qed stats</c>); null with fewer than two.</summary>
    public double? ScoreStd => Leaderboard.SampleStd(RepetitionScores);

    public decimal TotalCostUsd => (Usage.CostUsd ?? 0) + JudgeCostUsd;
}

/// <summary>What the problem table of a run is narrowed to. Scores are fractions in [0, 1].</summary>
public sealed record ProblemQuery(
    string? Level = null, string? Category = null, double? MinScore = null, double? MaxScore = null,
    string? Status = null, string? Text = null, bool Regex = false, int Page = 1, int PageSize = 50)
{
    /// <summary>Rows before this page; a long, so a page number near int.MaxValue cannot wrap round to page 1.</summary>
    public long Offset => (Math.Max(1L, Page) - 1) * PageSize;
}

/// <summary>One problem of a run: its samples summarised.</summary>
public sealed record ProblemRow(
    string ProblemId, string? Level, string? Category, int Samples, int Graded, double? Score,
    IReadOnlyDictionary<string, int> Statuses, long OutputTokens);

public sealed record Paged<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize)
{
    public int Pages => Math.Max(1, (Total + PageSize - 1) / PageSize);
}

/// <summary>The values the problem-table filters can take in one run.</summary>
public sealed record ProblemFacets(IReadOnlyList<string> Levels, IReadOnlyList<string> Categories, IReadOnlyList<string> Statuses);

/// <summary>A benchmark problem with everything a reader needs to judge a proof of it.</summary>
public sealed record ProblemView(
    string ProblemId, string Benchmark, string Statement, string? ReferenceSolution, string? Guidelines,
    string? MarkingScheme, string? Answer, string? Level, string? Category);

/// <summary>One judge's latest grade of a sample (<see cref="Judge"/> names the judge). <see cref="Points"/> is null when grading failed (never shown as 0).</summary>
public sealed record GradeView(string Status, double? Points, double MaxPoints, string? Verdict, string? Judge, string? Error)
{
    public bool Graded => Points is not null;
}

public sealed record MessageView(string Role, string Text);

/// <summary>One step of a scaffold (generate, verify, refine, summarise…): what it was and what it spent. Its messages
/// (prompts and reply, often tens of kilobytes each) are fetched on demand through <see cref="IRunResults.StepMessagesAsync"/>.</summary>
public sealed record StepView(int Index, string Key, string Name, string? Status, UsageView Usage);

/// <summary>One sample (attempt) at a problem, with its grade and, for scaffold runs, its steps.</summary>
/// <param name="Text">the answer (proof) the solver returned.</param>
/// <param name="Reasoning">the thinking that preceded it, when the model or endpoint reported it separately.</param>
/// <param name="Grades">the latest grade of each judge this view counts, in first-graded order, each naming its judge: one with a
/// judge selected (or a run with one judge), several otherwise; never one judge's grade standing in for another's.</param>
public sealed record SampleView(
    string SampleId, int Index, string Status, string? Text, string? Reasoning, string? Error, IReadOnlyList<GradeView> Grades, UsageView Usage,
    IReadOnlyList<StepView> Steps);

/// <summary>Which run a page belongs to, without its aggregates.</summary>
public sealed record RunHeader(string RunId, string Model, string Benchmark, string? Scaffold);

/// <summary>A problem page: the problem and every sample of it in one run.</summary>
public sealed record ProblemPage(RunHeader Run, ProblemView Problem, IReadOnlyList<SampleView> Samples);

/// <summary>One problem scored by two runs of the same benchmark.</summary>
public sealed record ComparisonRow(string ProblemId, string? Level, string? Category, double? ScoreA, double? ScoreB)
{
    public double? Delta => ScoreA is { } a && ScoreB is { } b ? b - a : null;
}

/// <summary>A per-sample point for charts: how many tokens it spent and what it scored.</summary>
public sealed record SamplePoint(string RunId, string ProblemId, string? Level, string? Category, double? Score, UsageView Usage);

/// <summary>Which judge a page shows: the run's judges, the one shown (null: every judge, each labelled, or none graded),
/// and whether the reader chose it (<c>?judge=</c>) so links keep it.</summary>
public sealed record JudgeChoice(IReadOnlyList<Qed.Stats.JudgeRef> Judges, Qed.Stats.JudgeRef? Shown, bool Chosen);
