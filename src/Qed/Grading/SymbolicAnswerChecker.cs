using Qed.Answers;

namespace Qed.Grading;

/// <summary>Qed.Answers' exact symbolic checker as the first stage of answer grading.</summary>
public sealed class SymbolicAnswerChecker(AnswerOptions? options = null) : IAnswerChecker
{
    public string Name => "answer-checker";

    public AnswerEquivalence Check(string gold, string predicted)
    {
        // The predicted side is the content of the last \boxed{}; boxing it again lets the checker's own
        // extraction read it as the model's final answer.
        var check = AnswerChecker.Check(gold, "\\boxed{" + predicted + "}", options);
        return check.Verdict switch
        {
            AnswerVerdict.Equivalent => AnswerEquivalence.Equivalent,
            AnswerVerdict.Different => AnswerEquivalence.Different,
            _ => AnswerEquivalence.Undecided,
        };
    }
}
