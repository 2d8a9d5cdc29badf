using System.Diagnostics;
using System.Threading.Channels;
using Qed.Benchmarks;

namespace Qed.Training.Rl;

/// <summary>A rollout with its problem, decoded text and reward. <paramref name="Group"/> indexes the step's states.</summary>
public sealed record ScoredRollout(Rollout Rollout, int Group, Problem Problem, string Text, RolloutReward Reward);

/// <summary>Everything one optimiser step trains on, and how long it took to make.</summary>
public sealed record StepBatch(
    long Step,
    long PolicyVersion,
    IReadOnlyList<ScoredRollout> Rollouts,
    TimeSpan GenerationTime,
    TimeSpan GradingTime,
    TimeSpan StateTime);

/// <summary>A problem to train on, possibly with the summary of an earlier attempt (a reasoning-cache state).</summary>
public sealed record TrainingState(Problem Problem, string? Summary);

/// <summary>Chooses the states (GRPO problems) of a step: plain problems for GRPO, reasoning-cache states for RC-RL.</summary>
public interface IStepStates
{
    Task<IReadOnlyList<TrainingState>> ForStepAsync(long step, IRolloutEngine engine, CancellationToken cancellationToken);
}

/// <summary>GRPO: the step's problems from the seeded epoch order.</summary>
public sealed class ProblemStates(IReadOnlyList<Problem> problems, int perStep, long seed) : IStepStates
{
    public Task<IReadOnlyList<TrainingState>> ForStepAsync(long step, IRolloutEngine engine, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<TrainingState>>(RlProblems.ForStep(problems.Count, perStep, seed, step)
            .Select(i => new TrainingState(problems[i], null)).ToList());
}

/// <summary>
/// The policy versions the rollout side may sample with. The trainer publishes a snapshot after every optimiser
/// step; the producer waits for the version a step needs and releases the ones it has moved past.
/// </summary>
public sealed class PolicyVersions : IDisposable
{
    private readonly SortedDictionary<long, PolicySnapshot> _held = new();
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Publish(PolicySnapshot snapshot)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_held.Remove(snapshot.Version, out var old)) old.Dispose();
            _held[snapshot.Version] = snapshot;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        changed.TrySetResult();
    }

    public long? Oldest { get { lock (_gate) return _held.Count == 0 ? null : _held.Keys.First(); } }

    /// <summary>Runs <paramref name="read"/> over the snapshots still held (for checkpoints: the versions the coming
    /// steps' rollouts will use) while none can be released; <paramref name="read"/> must copy what it keeps.</summary>
    public T ReadHeld<T>(Func<IReadOnlyList<PolicySnapshot>, T> read)
    {
        lock (_gate) return read(_held.Values.ToList());
    }

    public async Task<PolicySnapshot> WaitForAsync(long version, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_held.TryGetValue(version, out var s)) return s;
                changed = _changed.Task;
            }
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Frees every snapshot older than <paramref name="version"/>.</summary>
    public void ReleaseBelow(long version)
    {
        lock (_gate)
            foreach (var v in _held.Keys.Where(v => v < version).ToList())
            {
                _held[v].Dispose();
                _held.Remove(v);
            }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var s in _held.Values) s.Dispose();
            _held.Clear();
        }
    }
}

/// <summary>
/// The asynchronous rollout side: while the trainer works on step s, this generates and grades the rollouts of
/// step s+1.. on a background task. Step s samples with policy version max(oldest held, s − 1 − max_lag), so
/// no rollout is more than max_lag versions behind the policy it trains, and a run is reproducible: which
/// weights sampled which step does not depend on timing. max_lag 0 is the synchronous on-policy loop.
/// </summary>
public sealed class RolloutPipeline : IAsyncDisposable
{
    private readonly Channel<StepBatch> _batches;
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;

    public RolloutPipeline(IRolloutEngine engine, PolicyVersions versions, IStepStates states, PolicyPrompts prompts,
        RewardFunction reward, GrpoOptions options, long firstStep, long lastStep, CancellationToken cancellationToken)
    {
        _batches = Channel.CreateBounded<StepBatch>(new BoundedChannelOptions(Math.Max(1, options.MaxLag)) { SingleReader = true, SingleWriter = true });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var baseVersion = versions.Oldest ?? 0;
        _producer = Task.Run(async () =>
        {
            try
            {
                for (long step = firstStep; step <= lastStep; step++)
                {
                    var version = Math.Max(baseVersion, step - 1 - options.MaxLag);
                    var snapshot = await versions.WaitForAsync(version, _stop.Token).ConfigureAwait(false);
                    if (engine.Version != version || step == firstStep) await engine.SyncAsync(snapshot, _stop.Token).ConfigureAwait(false);
                    versions.ReleaseBelow(version);
                    var batch = await ProduceAsync(step, engine, states, prompts, reward, options, _stop.Token).ConfigureAwait(false);
                    await _batches.Writer.WriteAsync(batch, _stop.Token).ConfigureAwait(false);
                }
                _batches.Writer.TryComplete();
            }
            catch (Exception e) { _batches.Writer.TryComplete(e); }
        });
    }

    /// <summary>The next step's batch; waits while it is still being generated.</summary>
    public async Task<StepBatch> NextAsync(CancellationToken cancellationToken)
    {
        try { return await _batches.Reader.ReadAsync(cancellationToken).ConfigureAwait(false); }
        catch (ChannelClosedException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    private static async Task<StepBatch> ProduceAsync(long step, IRolloutEngine engine, IStepStates states, PolicyPrompts prompts,
        RewardFunction reward, GrpoOptions options, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var stepStates = await states.ForStepAsync(step, engine, ct).ConfigureAwait(false);
        var stateTime = clock.Elapsed;
        var requests = stepStates.Select((s, i) => new RolloutRequest($"step {step} / state {i} / {s.Problem.Id}", prompts.Encode(s.Problem, s.Summary), options.GroupSize)).ToList();
        clock.Restart();
        var rollouts = await engine.GenerateAsync(requests, new SamplingSettings(options.Temperature, options.MaxNewTokens, SamplingSeed(options.Seed, step)), ct).ConfigureAwait(false);
        var generation = clock.Elapsed;
        clock.Restart();
        using var limit = new SemaphoreSlim(Math.Max(1, options.Grader.Concurrency));
        var scored = await Task.WhenAll(rollouts.Select(async (r, i) =>
        {
            int group = i / options.GroupSize;
            var text = prompts.Decode(r.CompletionIds);
            await limit.WaitAsync(ct).ConfigureAwait(false);
            try { return new ScoredRollout(r, group, stepStates[group].Problem, text, await reward.ScoreAsync(stepStates[group].Problem, text, ct).ConfigureAwait(false)); }
            finally { limit.Release(); }
        })).ConfigureAwait(false);
        return new StepBatch(step, rollouts.Count == 0 ? engine.Version : rollouts.Min(r => r.PolicyVersion), scored, generation, clock.Elapsed, stateTime);
    }

    /// <summary>The sampling seed of a step: fixed by (seed, step), so a resumed run draws the same rollouts.</summary>
    public static long SamplingSeed(long seed, long step) => unchecked(seed * 1_000_003 + step);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _producer.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
