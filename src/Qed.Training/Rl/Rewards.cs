using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;

namespace Qed.Training.Rl;

/// <summary>A grader's verdict on one answer: points out of the maximum, or why there are none.</summary>
/// <param name="Points">null when the grade could not be obtained (see <paramref name="Failure"/>)</param>
public sealed record RewardGrade(double? Points, string? Failure = null)
{
    public static RewardGrade Of(double points) => new(points);
    public static RewardGrade Failed(string reason) => new(null, reason);
}

/// <summary>Grades the answer part of a rollout (the text after the last end-of-thinking marker) for a problem.
/// The same component grades evaluation runs; here its points become the reward.</summary>
public interface IRewardGrader
{
    /// <summary>Whether grading calls a model (then latency and failures are judge metrics).</summary>
    bool CallsModel { get; }

    Task<RewardGrade> GradeAsync(Problem problem, string answer, CancellationToken cancellationToken);
}

/// <summary>
/// Rule-based grader for toy tasks: full points when the first integer in the answer equals the problem's short
/// answer, else 0. A reply without any integer scores 0 (a well-defined verdict, not a failure).
/// </summary>
public sealed partial class FirstIntegerGrader(double maxPoints = 7) : IRewardGrader
{
    [GeneratedRegex(@"-?\d+")]
    private static partial Regex Integer();

    public bool CallsModel => false;

    public Task<RewardGrade> GradeAsync(Problem problem, string answer, CancellationToken cancellationToken)
    {
        if (problem.ShortAnswer is null) return Task.FromResult(RewardGrade.Failed($"problem {problem.Id} has no answer to compare with"));
        var m = Integer().Match(answer);
        return Task.FromResult(RewardGrade.Of(m.Success && m.Value == problem.ShortAnswer.Trim() ? maxPoints : 0));
    }
}

/// <summary>What one rollout earned, with the facts the metrics need.</summary>
/// <param name="Reward">points / max in [0, 1]; null when the rollout is left out of the loss (a skipped grading failure)</param>
/// <param name="ClosedThinking">whether the completion closed its thinking (else reward 0, no grader call)</param>
/// <param name="Failure">the grading failure, when there was one</param>
public sealed record RolloutReward(double? Reward, bool ClosedThinking, bool Graded, string? Failure, TimeSpan Latency);

/// <summary>
/// The recipe's reward: completion → text after the last end-of-thinking marker → grader → points / max.
/// A completion that never closes its thinking earns 0 without a grader call (when required). A grading failure
/// is counted and, by the configured policy, skipped (left out of the loss), scored 0, or raised.
/// </summary>
public sealed class RewardFunction(IRewardGrader grader, double maxPoints, string thinkEnd, bool requireClosedThinking, GradeFailurePolicy onFailure)
{
    public async Task<RolloutReward> ScoreAsync(Problem problem, string completion, CancellationToken cancellationToken)
    {
        int cut = completion.LastIndexOf(thinkEnd, StringComparison.Ordinal);
        bool closed = cut >= 0;
        if (!closed && requireClosedThinking) return new RolloutReward(0, false, false, null, TimeSpan.Zero);
        var answer = closed ? completion[(cut + thinkEnd.Length)..] : completion;
        var clock = Stopwatch.StartNew();
        RewardGrade grade;
        try { grade = await grader.GradeAsync(problem, answer, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            grade = RewardGrade.Failed($"{e.GetType().Name}: {e.Message}");
        }
        var latency = clock.Elapsed;
        if (grade.Points is { } points)
            return new RolloutReward(Math.Clamp(points / maxPoints, 0, 1), closed, true, null, latency);
        return onFailure switch
        {
            GradeFailurePolicy.Zero => new RolloutReward(0, closed, true, grade.Failure, latency),
            GradeFailurePolicy.Skip => new RolloutReward(null, closed, true, grade.Failure, latency),
            _ => throw new QedException($"grading problem {problem.Id} failed: {grade.Failure} (on_grade_failure: error)"),
        };
    }
}

/// <summary>
/// The LLM judge as reward: the evaluation's <see cref="Qed.Grading.ProofGrader"/>, in marking-scheme mode when the
/// problem has a marking scheme (FineProofs-RL rubrics), proof mode when it has a reference solution or guidelines,
/// answer mode when it only has a short answer. A grade_failed outcome is a failure, never 0 points.
/// </summary>
public sealed class JudgeRewardGrader(Qed.Grading.ProofGrader grader) : IRewardGrader
{
    public bool CallsModel => true;

    public static GradingMode ModeFor(Problem problem) =>
        !string.IsNullOrWhiteSpace(problem.MarkingScheme) ? GradingMode.MarkingScheme
        : string.IsNullOrWhiteSpace(problem.ReferenceSolution) && string.IsNullOrWhiteSpace(problem.Guidelines) && !string.IsNullOrWhiteSpace(problem.ShortAnswer)
            ? GradingMode.Answer
            : GradingMode.Proof;

    public async Task<RewardGrade> GradeAsync(Problem problem, string answer, CancellationToken cancellationToken)
    {
        var outcome = await grader.GradeAsync(problem, answer, ModeFor(problem), cancellationToken).ConfigureAwait(false);
        return outcome.IsGraded && outcome.Points is { } points
            ? RewardGrade.Of(points * 7.0 / outcome.MaxPoints)
            : RewardGrade.Failed(outcome.Error ?? outcome.Status);
    }
}

/// <summary>
/// Rule-based reward for answer problems: Qed.Answers' checker reads the final answer from the reply and compares it
/// exactly with the short answer — equivalent: full marks, different: 0. An undecided check goes to the judge when one
/// is configured (<paramref name="fallback"/>), else it is a grading failure with the checker's reason.
/// </summary>
public sealed class AnswerCheckerGrader(double maxPoints = 7, IRewardGrader? fallback = null) : IRewardGrader
{
    public bool CallsModel => fallback is not null;

    public async Task<RewardGrade> GradeAsync(Problem problem, string answer, CancellationToken cancellationToken)
    {
        if (problem.ShortAnswer is null) return RewardGrade.Failed($"problem {problem.Id} has no short answer to check against");
        var check = Qed.Answers.AnswerChecker.Check(problem.ShortAnswer, answer, null, cancellationToken);
        return check.Verdict switch
        {
            Qed.Answers.AnswerVerdict.Equivalent => RewardGrade.Of(maxPoints),
            Qed.Answers.AnswerVerdict.Different => RewardGrade.Of(0),
            _ when fallback is not null => await fallback.GradeAsync(problem, answer, cancellationToken).ConfigureAwait(false),
            _ => RewardGrade.Failed($"answer check undecided: {check.Reason}"),
        };
    }
}

/// <summary>
/// The published recipe's judge reward (<c>reward.protocol: qed-nano</c>): the judge sees the problem, its marking scheme
/// and the proof (no reference solution; our prompt <c>Rl/judge-qed-nano.md</c>), may reply with up to 81,920 tokens, and
/// its verdict is the first <c>&lt;score&gt;N&lt;/score&gt;</c>. As published, a reply without one scores 0 and an empty
/// proof scores 0 without a call; an endpoint failure (after the client's retries) is still a grading failure.
/// </summary>
public sealed partial class QedNanoRewardGrader(IChatClient judge, PromptTemplate prompt) : IRewardGrader
{
    public const int MaxJudgeTokens = 81920;

    [GeneratedRegex(@"<score>(\d+)</score>")]
    private static partial Regex ScoreTag();

    public bool CallsModel => true;

    /// <summary>The first <c>&lt;score&gt;N&lt;/score&gt;</c>'s N; 0 when there is none (the published rule).</summary>
    public static int ParseScore(string? reply) =>
        ScoreTag().Match(reply ?? "") is { Success: true } m && int.TryParse(m.Groups[1].Value, out var n) ? n : 0;

    public async Task<RewardGrade> GradeAsync(Problem problem, string answer, CancellationToken cancellationToken)
    {
        if (answer.Trim().Length == 0) return RewardGrade.Of(0);
        var text = prompt.Render(new Dictionary<string, string?>
        {
            ["problem"] = problem.Statement,
            ["marking_scheme"] = problem.MarkingScheme ?? problem.Guidelines ?? "(none given)",
            ["solution"] = answer,
            ["proof"] = answer,
        });
        ChatResponse response;
        try
        {
            response = await judge.GetResponseAsync([new ChatMessage(ChatRole.User, text)], new ChatOptions { MaxOutputTokens = MaxJudgeTokens },
                cancellationToken).ConfigureAwait(false);
        }
        catch (ChatEndpointException e)
        {
            return RewardGrade.Failed(e.Message);
        }
        return RewardGrade.Of(ParseScore(response.AnswerText()));
    }
}
