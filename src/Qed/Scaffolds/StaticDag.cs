using Microsoft.Extensions.AI;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Solvers;

namespace Qed.Scaffolds;

/// <summary>
/// Parameters of <see cref="StaticDag"/>; YAML names follow the original harness: <c>n_approach_solutions</c> (approaches
/// to ask the planner for), <c>use_no_approach</c> and <c>n_no_approach_solutions</c> (groups solved without an
/// approach), <c>n_solutions_per_approach</c>, <c>n_verifications_per_solution</c> (verify → improve links per chain),
/// <c>merge_solutions</c> (merge each group, else select), <c>max_concurrent_calls</c> (this sample's parallelism).
/// </summary>
public sealed record StaticDagOptions(int Approaches, bool UseNoApproach, int NoApproachGroups, int SolutionsPerGroup,
    int VerificationsPerSolution, bool Merge, int MaxConcurrentCalls)
{
    public static StaticDagOptions From(YamlConfig y)
    {
        var o = new StaticDagOptions(y.Count("n_approach_solutions", 0, min: 0), y.Flag("use_no_approach", true),
            y.Count("n_no_approach_solutions", 4, min: 0), y.Count("n_solutions_per_approach", 2), y.Count("n_verifications_per_solution", 1, min: 0),
            y.Flag("merge_solutions", true), y.Count("max_concurrent_calls", 8));
        if (o.Groups == 0) throw y.Error("n_approach_solutions", "the graph is empty: ask for approaches or enable use_no_approach with n_no_approach_solutions ≥ 1");
        return o;
    }

    public int Groups => Approaches + (UseNoApproach ? NoApproachGroups : 0);

    /// <summary>Planner (if any) + per group S chains of 1 + 2V calls and a merge/select when S > 1 + a final select when groups > 1.</summary>
    public int Calls => (Approaches > 0 ? 1 : 0) + Groups * (SolutionsPerGroup * (1 + 2 * VerificationsPerSolution) + (SolutionsPerGroup > 1 ? 1 : 0))
        + (Groups > 1 ? 1 : 0);
}

/// <summary>
/// A static generate / verify / improve / merge graph. A planner proposes approaches; each approach (and each
/// approach-free group) gets S solutions; each solution goes through V verify → improve links; each group's solutions
/// are merged into one (or the best is selected); a final selector picks among the groups. The graph runs as tasks
/// that start when their inputs are ready, with at most <c>max_concurrent_calls</c> of this sample's calls in flight
/// (and the global cap over everything).
///
/// Roles: <c>planner</c>, <c>solver</c>, <c>verifier</c>, <c>improver</c>, <c>merger</c>, <c>selector</c>.
/// Parsing fallbacks: fewer <c>&lt;approach&gt;</c> blocks than asked for (or none) leave the remaining groups without an
/// approach; a selector reply without a valid <c>\boxed{letter}</c>, or with <c>\boxed{equal}</c>, is a seeded draw.
/// Failures: a failed planner call leaves every group without an approach; a failed solve drops that chain; a failed
/// verify or improve ends its chain with the solution it has; a failed merge keeps the group's first solution; a
/// failed select is a seeded draw; the sample fails only when every chain failed.
/// Budget: the most refined solution so far (merged beats improved beats fresh).
/// </summary>
public sealed class StaticDag(StaticDagOptions options, PromptLibrary prompts) : IScaffold
{
    public const string Type = "static-dag";
    public static readonly IReadOnlyList<string> Roles = ["planner", "solver", "verifier", "improver", "merger", "selector"];

    private readonly PromptTemplate _approaches = prompts.Get("Scaffolds/StaticDag", "approaches");
    private readonly PromptTemplate _system = prompts.Get("Scaffolds/StaticDag", "solver-system");
    private readonly PromptTemplate _solve = prompts.Get("Scaffolds/StaticDag", "solve");
    private readonly PromptTemplate _solveWithApproach = prompts.Get("Scaffolds/StaticDag", "solve-with-approach");
    private readonly PromptTemplate _verify = prompts.Get("Scaffolds/StaticDag", "verify");
    private readonly PromptTemplate _improve = prompts.Get("Scaffolds/StaticDag", "improve");
    private readonly PromptTemplate _merge = prompts.Get("Scaffolds/Aggregation", "merge");
    private readonly PromptTemplate _select = prompts.Get("Scaffolds/Aggregation", "select");

    public StaticDagOptions Options => options;
    public string Name => Type;
    public IReadOnlyList<PromptTemplate> Prompts => [_approaches, _system, _solve, _solveWithApproach, _verify, _improve, _merge, _select];

    public async Task<SolveResult> SolveAsync(Problem problem, SolverContext context, CancellationToken cancellationToken)
    {
        var run = new GraphRun(this, problem, context, cancellationToken);
        try
        {
            var approaches = options.Approaches > 0 ? run.Node(() => run.PlanAsync()) : Task.FromResult<IReadOnlyList<string>>([]);
            var groups = Enumerable.Range(0, options.Groups).Select(g => run.Node(async () =>
            {
                var approach = g < options.Approaches ? (await approaches).ElementAtOrDefault(g) : null;
                var chains = Enumerable.Range(0, options.SolutionsPerGroup)
                    .Select(s => run.Node(() => run.ChainAsync($"group-{g + 1}/solution-{s + 1}", approach))).ToList();
                var solutions = (await Task.WhenAll(chains)).OfType<StepResult>().ToList();
                return await run.CombineAsync($"group-{g + 1}", solutions);
            })).ToList();
            var finalists = (await Task.WhenAll(groups)).OfType<StepResult>().ToList();
            if (finalists.Count == 0) run.ThrowFirstFailure();
            var winner = finalists.Count == 1 ? finalists[0] : await run.SelectAsync("final/select", finalists);
            return new SolveResult(winner.Answer, winner.Reasoning, winner.Truncated);
        }
        catch (BudgetExhaustedException)
        {
            await run.DrainAsync();
            return run.Best.AtBudget();
        }
        catch
        {
            await run.DrainAsync();
            throw;
        }
    }

    /// <summary>One sample's execution of the graph: its nodes, its parallelism limit and its best-so-far.</summary>
    private sealed class GraphRun(StaticDag dag, Problem problem, SolverContext context, CancellationToken ct)
    {
        private readonly SemaphoreSlim _slots = new(dag.Options.MaxConcurrentCalls);
        private readonly List<Task> _nodes = [];
        public BestProof Best { get; } = new();

        /// <summary>Starts a node now; it waits for its inputs by awaiting them.</summary>
        public Task<T> Node<T>(Func<Task<T>> body)
        {
            var task = Task.Run(body, ct);
            lock (_nodes) _nodes.Add(task);
            return task;
        }

        /// <summary>Waits for every started node, so no call is still running when the sample is recorded.</summary>
        public async Task DrainAsync()
        {
            Task[] nodes;
            lock (_nodes) nodes = [.. _nodes];
            try { await Task.WhenAll(nodes).ConfigureAwait(false); } catch { /* already handled by whoever awaited it */ }
        }

        private async Task<StepResult> CallAsync(string name, string role, ChatMessage[] messages)
        {
            await _slots.WaitAsync(ct).ConfigureAwait(false);
            try { return await context.CallAsync(name, role, messages, cancellationToken: ct).ConfigureAwait(false); }
            finally { _slots.Release(); }
        }

        private Exception? _firstFailure;

        private async Task<StepResult?> TryCallAsync(string name, string role, ChatMessage[] messages)
        {
            try { return await CallAsync(name, role, messages); }
            catch (Exception e) when (e is not (OperationCanceledException or BudgetExhaustedException))
            {
                Interlocked.CompareExchange(ref _firstFailure, e, null);
                return null;
            }
        }

        /// <summary>Every chain failed: the sample fails with the first failure the graph met.</summary>
        public void ThrowFirstFailure() =>
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_firstFailure ?? new InvalidOperationException("every solution chain failed")).Throw();

        public async Task<IReadOnlyList<string>> PlanAsync()
        {
            var step = await TryCallAsync("approaches", "planner", [new(ChatRole.User, dag._approaches.Render(new Dictionary<string, string?>
            {
                ["problem"] = problem.Statement, ["count"] = dag.Options.Approaches.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }))]);
            return step is null ? [] : ApproachList.Parse(step.Answer).Or([]);
        }

        /// <summary>Solve, then V links of verify → improve. Null when the solve itself failed.</summary>
        public async Task<StepResult?> ChainAsync(string name, string? approach)
        {
            var task = approach is null
                ? dag._solve.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement })
                : dag._solveWithApproach.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement, ["approach"] = approach });
            var solution = await TryCallAsync($"{name}/solve", "solver", [new(ChatRole.System, dag._system.Render(NoValues)), new(ChatRole.User, task)]);
            if (solution is null) return null;
            Best.Offer(solution.Answer, 0, solution.Reasoning, solution.Truncated);
            for (var v = 1; v <= dag.Options.VerificationsPerSolution; v++)
            {
                var report = await TryCallAsync($"{name}/verify-{v}", "verifier", [new(ChatRole.User, dag._verify.Render(new Dictionary<string, string?>
                {
                    ["problem"] = problem.Statement, ["solution"] = solution.Answer,
                }))]);
                if (report is null) break;
                var improved = await TryCallAsync($"{name}/improve-{v}", "improver",
                [
                    new(ChatRole.System, dag._system.Render(NoValues)), new(ChatRole.User, task), new(ChatRole.Assistant, solution.Answer),
                    new(ChatRole.User, dag._improve.Render(new Dictionary<string, string?> { ["bug_report"] = report.Answer })),
                ]);
                if (improved is null) break;
                solution = improved;
                Best.Offer(solution.Answer, v, solution.Reasoning, solution.Truncated);
            }
            return solution;
        }

        /// <summary>A group's solutions become one: merged, or the best selected.</summary>
        public async Task<StepResult?> CombineAsync(string group, IReadOnlyList<StepResult> solutions)
        {
            if (solutions.Count <= 1) return solutions.FirstOrDefault();
            if (!dag.Options.Merge) return await SelectAsync($"{group}/select", solutions);
            var merged = await TryCallAsync($"{group}/merge", "merger", [new(ChatRole.User, dag._merge.Render(new Dictionary<string, string?>
            {
                ["problem"] = problem.Statement, ["candidates"] = RecursiveSelfAggregation.Candidates(solutions),
            }))]) ?? solutions[0];
            Best.Offer(merged.Answer, dag.Options.VerificationsPerSolution + 1, merged.Reasoning, merged.Truncated);
            return merged;
        }

        public async Task<StepResult> SelectAsync(string name, IReadOnlyList<StepResult> candidates)
        {
            var step = await TryCallAsync(name, "selector", [new(ChatRole.User, dag._select.Render(new Dictionary<string, string?>
            {
                ["problem"] = problem.Statement, ["candidates"] = RecursiveSelfAggregation.Candidates(candidates),
            }))]);
            var choice = step is null ? Parsed<int?>.Unparsable("the selector call failed") : CandidateChoice.Parse(step.Answer, candidates.Count);
            return candidates[choice.Or(null) ?? context.RandomFor(name).Next(candidates.Count)];
        }

        private static readonly IReadOnlyDictionary<string, string?> NoValues = new Dictionary<string, string?>();
    }
}
