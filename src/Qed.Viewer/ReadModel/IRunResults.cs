namespace Qed.Viewer.ReadModel;

/// <summary>The read side of the run store as the viewer and the report need it: summaries, pages of
/// problems, one problem's samples, and per-sample points for charts. Every list that can grow with the
/// number of samples is paged or aggregated in the store, never loaded whole into a page.</summary>
public interface IRunResults
{
    /// <summary>Every (run, judge) of one run (null: of every run), scored by Qed.Stats exactly as <c>qed stats</c> scores it.</summary>
    Task<IReadOnlyList<Qed.Stats.EvalStats>> ScoresAsync(string? runId, CancellationToken ct);
    /// <summary>The judges that graded the run, in first-graded order, named as <c>qed stats</c> names them.</summary>
    Task<IReadOnlyList<Qed.Stats.JudgeRef>> JudgesAsync(string runId, CancellationToken ct);
    /// <summary>The same results with only this judge's grades counting.</summary>
    IRunResults ForJudge(string judgeId);

    Task<IReadOnlyList<RunSummary>> RunsAsync(CancellationToken ct);
    Task<RunSummary?> RunAsync(string runId, CancellationToken ct);
    Task<ProblemFacets> FacetsAsync(string runId, CancellationToken ct);
    Task<Paged<ProblemRow>> ProblemsAsync(string runId, ProblemQuery query, CancellationToken ct);
    Task<ProblemPage?> ProblemAsync(string runId, string problemId, CancellationToken ct);
    /// <summary>The messages one step sent and received (prompts, reasoning, reply); null when the step is not in the run.</summary>
    Task<IReadOnlyList<MessageView>?> StepMessagesAsync(string runId, string sampleId, string stepKey, CancellationToken ct);
    /// <summary>Two runs problem by problem, each scored by its own judge (null: its latest grade of the judges this view counts).</summary>
    Task<Paged<ComparisonRow>> CompareAsync(string runA, string? judgeA, string runB, string? judgeB, int page, int pageSize, CancellationToken ct);
    Task<IReadOnlyList<SamplePoint>> SamplePointsAsync(string runId, CancellationToken ct);
}
