using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Qed.Answers;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Protocols;
using Qed.Runs;

namespace Qed.Grading;

/// <summary>First stage of answer grading: a symbolic equivalence check (Qed.Answers plugs in here).</summary>
public enum AnswerEquivalence { Equivalent, Different, Undecided }

/// <summary>The seam for a rule-based answer checker; the LLM judge runs only when it says Undecided.</summary>
public interface IAnswerChecker
{
    string Name { get; }
    AnswerEquivalence Check(string gold, string predicted);
}

/// <summary>The result of grading one reply. <see cref="Points"/> is null unless <see cref="Status"/> is graded.</summary>
/// <param name="DecidedBy">the stage that decided: <c>judge</c>, <c>no-answer</c>, or the answer checker's name.</param>
public sealed record GradeOutcome(string Status, double? Points, int MaxPoints, string? Desc, string? JudgeReply,
    string DecidedBy, UsageTotals Usage, string? Error)
{
    public bool IsGraded => Status == GradeStatus.Graded;
    /// <summary>Points / 7, the RL reward; null when not graded.</summary>
    public double? Reward => Points / MaxPoints;
}

public sealed record GraderOptions
{
    /// <summary>Judge calls per reply when the verdict cannot be read (endpoint retries are the pipeline's).</summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>Replaces the proof and marking-scheme prompts (e.g. a prompt under test in grader-bench); answer mode keeps its own.</summary>
    public PromptTemplate? Prompt { get; init; }
    /// <summary>Whose prompts and rules: ours (default) or the original harness's (<c>--protocol qed-nano</c> or a directory).</summary>
    public Protocol Protocol { get; init; } = Protocol.Ours;
}

/// <summary>
/// Grades one reply to one problem with an LLM judge: proof mode (IMO-ProofBench: reference solution and
/// guidelines; points in {0,1,6,7}), marking-scheme mode (ProofBench: 0–7) and answer mode (last
/// <c>\boxed{}</c> against the short answer; an <see cref="IAnswerChecker"/> first when one is plugged in).
/// The judge sees only the final proof with self-evaluation removed. An unreadable verdict is asked again,
/// then reported as <c>grade_failed</c> — never as 0 points. Used by evaluation and as the RL reward.
/// </summary>
public sealed class ProofGrader
{
    public const int MaxPoints = 7;
    private readonly ModelClient _judge;
    private readonly PromptLibrary _prompts;
    private readonly GraderOptions _options;
    private readonly IAnswerChecker? _checker;

    public ProofGrader(ModelClient judge, PromptLibrary? prompts = null, GraderOptions? options = null, IAnswerChecker? answerChecker = null)
    {
        _judge = judge;
        _prompts = prompts ?? new PromptLibrary();
        _options = options ?? new GraderOptions();
        _checker = answerChecker;
    }

    public string JudgeName => _judge.Config.Name;

    /// <summary>Whose prompts and rules this grader applies (a grading pass may grade only runs made under the same protocol).</summary>
    public Protocol Protocol => _options.Protocol;

    /// <summary>
    /// Every placeholder a judge prompt may use: ours (<c>{{problem}}</c> …) and the original harness's str.format names
    /// (<c>{problem_statement}</c>, <c>{student_answer}</c>, <c>{solution}</c>, <c>{guidelines}</c>, <c>{gold_answer}</c>), so a
    /// prompt file in either format works under either protocol.
    /// </summary>
    public static readonly IReadOnlyList<string> PlaceholderNames =
        ["problem", "reference_solution", "guidelines", "marking_scheme", "proof", "problem_statement", "student_answer", "solution"];

    private bool Original => _options.Protocol.OriginalRules;

    public PromptTemplate PromptFor(GradingMode mode) => mode != GradingMode.Answer && _options.Prompt is { } custom ? custom
        : _options.Protocol.Original is { } original ? original.Judge(mode)
        : _prompts.Get("Grading", mode switch
        {
            GradingMode.Proof => "proof",
            GradingMode.MarkingScheme => "marking-scheme",
            _ => "answer",
        });

    /// <summary>Identity of this judge for a mode: judge config, prompt content (not paths) and, when not ours, the protocol's rules.</summary>
    public string JudgeId(GradingMode mode) => Original
        ? Hashing.Sha256Hex("judge", mode.ToString(), _judge.Config.ContentHash(), PromptFor(mode).ContentHash(), null, "rules:" + Protocol.QedNanoName)
        : Hashing.Sha256Hex("judge", mode.ToString(), _judge.Config.ContentHash(), PromptFor(mode).ContentHash(), _checker?.Name);

    public async Task<GradeOutcome> GradeAsync(Problem problem, string reply, GradingMode mode, CancellationToken cancellationToken)
    {
        if (Original) return await GradeAsOriginalAsync(problem, reply, mode, cancellationToken);
        var proof = ProofText.ForJudge(reply);
        if (mode == GradingMode.Answer) return await GradeAnswerAsync(problem, proof, cancellationToken);
        if (proof.Length == 0)
            return new GradeOutcome(GradeStatus.Graded, 0, MaxPoints, "no proof was written", null, "no-answer", UsageTotals.Zero, null);

        var prompt = PromptFor(mode).Render(new Dictionary<string, string?>
        {
            ["problem"] = problem.Statement,
            ["reference_solution"] = problem.ReferenceSolution ?? "(none given)",
            ["guidelines"] = problem.Guidelines ?? "(none given)",
            ["marking_scheme"] = problem.MarkingScheme ?? problem.Guidelines ?? "(none given)",
            // The prompt fences the proof in <student_proof> tags; tags inside it that could close that fence or pose
            // as a verdict are neutralised, so a proof that addresses the grader stays data.
            ["proof"] = ProofText.Neutralise(proof),
            // The original harness's names, for a str.format judge prompt used under our rules.
            ["problem_statement"] = problem.Statement,
            ["student_answer"] = ProofText.Neutralise(proof),
            ["solution"] = problem.ReferenceSolution ?? "(none given)",
        });
        var allowed = mode == GradingMode.Proof ? Verdicts.ProofBenchPoints : Verdicts.ZeroToSeven;
        return await AskAsync(prompt, text =>
        {
            var v = Verdicts.ParsePoints(text, allowed);
            return (v.Points, v.Unparsable);
        }, cancellationToken);
    }

    private async Task<GradeOutcome> GradeAnswerAsync(Problem problem, string reply, CancellationToken ct)
    {
        var gold = problem.ShortAnswer ?? throw new QedException($"problem {problem.Id} has no short answer to grade against");
        // The last \boxed{} first; a reply without one is read for "Answer: …", "the answer is …" or the value its last
        // sentence states (Qed.Answers' extraction) before it counts as having no answer.
        var predicted = ProofText.LastBoxed(reply);
        var source = "boxed";
        var extracted = FinalAnswerExtraction.Extract(reply);
        // "(a) \boxed{3} … (b) \boxed{5}": every labelled part, in order, not only the last box.
        if (predicted is not null && extracted is not null && FinalAnswerExtraction.JoinParts(extracted) is not null)
            (predicted, source) = (extracted, "boxed parts");
        else if (predicted is null && extracted is not null)
            (predicted, source) = (extracted, "read from the text, no \\boxed{}");
        if (predicted is null)
            return new GradeOutcome(GradeStatus.Graded, 0, MaxPoints,
                "no final answer: no \\boxed{}, no answer phrase and no value in the last sentence", null, "no-answer", UsageTotals.Zero, null);
        if (_checker is not null)
        {
            var check = _checker.Check(gold, predicted);
            if (check != AnswerEquivalence.Undecided)
                return new GradeOutcome(GradeStatus.Graded, check == AnswerEquivalence.Equivalent ? MaxPoints : 0, MaxPoints,
                    $"{_checker.Name}: {check} (predicted {predicted}; {source})", null, _checker.Name, UsageTotals.Zero, null);
        }
        var prompt = PromptFor(GradingMode.Answer).Render(new Dictionary<string, string?>
        {
            ["problem"] = problem.Statement,
            ["gold_answer"] = gold,
            ["predicted_answer"] = predicted,
            ["problem_statement"] = problem.Statement,
            ["student_answer"] = predicted,
        });
        return await AskAsync(prompt, text => Verdicts.ParseAnswerVerdict(text) switch
        {
            AnswerJudgement.Correct => (MaxPoints, null),
            AnswerJudgement.Incorrect => (0, null),
            _ => ((int?)null, "no <verdict>Correct|Incorrect</verdict> tag"),
        }, ct);
    }

    /// <summary>
    /// The original harness's grading: its self-evaluation strip, its prompts (the reference solution in proof mode, the
    /// marking scheme as guidelines in ProofBench mode), one judge call whatever it answers (an empty proof is sent too),
    /// its verdict reading; answer mode sends the last box or the last lines and never consults a symbolic checker.
    /// </summary>
    private async Task<GradeOutcome> GradeAsOriginalAsync(Problem problem, string reply, GradingMode mode, CancellationToken ct)
    {
        if (mode == GradingMode.Answer)
        {
            var gold = problem.ShortAnswer ?? throw new QedException($"problem {problem.Id} has no short answer to grade against");
            var answerPrompt = PromptFor(mode).Render(new Dictionary<string, string?>
            {
                ["problem_statement"] = problem.Statement, ["student_answer"] = QedNanoRules.AnswerForJudge(reply), ["gold_answer"] = gold,
                ["problem"] = problem.Statement, ["predicted_answer"] = QedNanoRules.AnswerForJudge(reply),
            });
            return await AskAsync(answerPrompt, text => (QedNanoRules.AnswerCorrect(text) ? MaxPoints : 0, null), ct, attempts: 1);
        }
        var proof = QedNanoRules.StripSelfEvaluation(reply);
        var guidelines = mode == GradingMode.MarkingScheme ? problem.MarkingScheme ?? problem.Guidelines : problem.Guidelines;
        var prompt = PromptFor(mode).Render(new Dictionary<string, string?>
        {
            ["problem_statement"] = problem.Statement,
            ["student_answer"] = proof,
            ["solution"] = problem.ReferenceSolution ?? "",
            ["guidelines"] = guidelines ?? "",
            ["problem"] = problem.Statement,
            ["proof"] = proof,
            ["reference_solution"] = problem.ReferenceSolution ?? "",
            ["marking_scheme"] = guidelines ?? "",
        });
        return await AskAsync(prompt, text =>
        {
            var v = QedNanoRules.ParsePoints(text);
            return (v.Points, v.Unparsable);
        }, ct, attempts: 1);
    }

    private async Task<GradeOutcome> AskAsync(string prompt, Func<string, (int? Points, string? Problem)> parse, CancellationToken ct, int? attempts = null)
    {
        var usage = UsageTotals.Zero;
        string? lastReply = null, lastProblem = null;
        var maxAttempts = attempts ?? _options.MaxAttempts;
        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            ChatResponse response;
            try
            {
                response = await _judge.Chat.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], null, ct);
            }
            catch (ChatEndpointException e) when (e.Failure != EndpointFailure.NotFound) // a 404 is the configuration's fault, not this answer's
            {
                return new GradeOutcome(GradeStatus.Failed, null, MaxPoints, null, lastReply, "judge", usage, e.Message);
            }
            usage = usage.Add(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0, response.CostUsd());
            lastReply = response.AnswerText();
            var (points, problem) = parse(lastReply);
            if (points is { } p)
                return new GradeOutcome(GradeStatus.Graded, p, MaxPoints, lastReply, lastReply, "judge", usage, null);
            lastProblem = response.IsTruncated() ? "judge reply truncated" : problem;
        }
        return new GradeOutcome(GradeStatus.Failed, null, MaxPoints, null, lastReply, "judge", usage,
            maxAttempts == 1 ? $"unparsable verdict: {lastProblem}" : $"unparsable verdict after {maxAttempts} attempts: {lastProblem}");
    }

    /// <summary>Grade details in the original export's shape: <c>[{"points": N, "desc": "..."}]</c>.</summary>
    public static string DetailsJson(GradeOutcome g) =>
        new JsonArray(new JsonObject { ["points"] = g.Points, ["desc"] = g.Desc }).ToJsonString();
}
