using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>
/// The best proof a scaffold has so far, by its own measure (a verifier's mean score, a self-score, or simply the
/// latest candidate). When a budget runs out mid-scaffold, this is what the sample hands in. Thread-safe: parallel
/// branches offer their proofs as they finish.
/// </summary>
public sealed class BestProof
{
    private readonly object _gate = new();
    private string? _answer;
    private string? _reasoning;
    private bool _truncated;
    private double _score = double.NegativeInfinity;

    public bool HasProof { get { lock (_gate) return _answer is not null; } }

    /// <summary>Keeps the proof when it scores higher than the current best (ties keep the earlier one).</summary>
    public void Offer(string answer, double score, string? reasoning = null, bool truncated = false)
    {
        lock (_gate)
        {
            if (_answer is not null && score <= _score) return;
            (_answer, _reasoning, _truncated, _score) = (answer, reasoning, truncated, score);
        }
    }

    /// <summary>Makes this the best proof regardless of score (for scaffolds whose latest candidate is their best).</summary>
    public void Replace(string answer, string? reasoning = null, bool truncated = false)
    {
        lock (_gate) (_answer, _reasoning, _truncated, _score) = (answer, reasoning, truncated, double.NegativeInfinity);
    }

    /// <summary>What the sample hands in after its budget ran out: the best proof so far (empty when there is none).</summary>
    public SolveResult AtBudget()
    {
        lock (_gate) return new SolveResult(_answer ?? "", _reasoning, _truncated, BudgetExhausted: true);
    }
}
