using Qed.Benchmarks;
using Qed.Inference.Chat;
using Qed.Inference.Tokenization;
using Qed.Llm;

namespace Qed.Training.Rl;

/// <summary>
/// The problems an RL run trains on: rows of the FineProofs-RL layout (<c>problem</c>, <c>rubrics</c>, optional
/// <c>solution</c>) or any JSONL/Parquet/CSV with a problem and a marking scheme or short answer (read by the same
/// loader as the benchmarks), or a generated toy task.
/// </summary>
public static class RlProblems
{
    public static async Task<IReadOnlyList<Problem>> LoadAsync(GrpoOptions options, CancellationToken cancellationToken)
    {
        if (options.ToyTask is not null) return ToyTask.Copy(options.ToyProblems);
        var loader = new BenchmarkLoader();
        var all = new List<Problem>();
        foreach (var file in options.Problems)
        {
            var benchmark = await loader.LoadAsync(file, null, cancellationToken).ConfigureAwait(false);
            foreach (var p in benchmark.Problems)
            {
                if (options.Grader.Kind == "judge" && string.IsNullOrWhiteSpace(p.MarkingScheme) && string.IsNullOrWhiteSpace(p.Guidelines) && string.IsNullOrWhiteSpace(p.ReferenceSolution))
                    throw new QedException($"{file}: problem {p.Id} has no marking scheme (rubrics), guidelines or solution for the judge");
                if (options.Grader.Kind != "judge" && string.IsNullOrWhiteSpace(p.ShortAnswer))
                    throw new QedException($"{file}: problem {p.Id} has no answer for the rule-based grader (column answer / short_answer)");
            }
            all.AddRange(benchmark.Problems);
        }
        if (all.Count == 0) throw new QedException($"{string.Join(", ", options.Problems)}: no problems");
        return all;
    }

    /// <summary>Which problems step <paramref name="step"/> (1-based) trains on: epochs of a seeded shuffle, a pure
    /// function of (seed, step) so a resumed run continues with the same problems.</summary>
    public static IReadOnlyList<int> ForStep(int problemCount, int perStep, long seed, long step)
    {
        var result = new List<int>(perStep);
        long first = (step - 1) * perStep;
        long orderEpoch = -1;
        int[] order = [];
        for (long k = first; k < first + perStep; k++)
        {
            long epoch = k / problemCount;
            if (epoch != orderEpoch)
            {
                order = Enumerable.Range(0, problemCount).ToArray();
                new Random(unchecked((int)(seed * 1_000_003 + epoch))).Shuffle(order);
                orderEpoch = epoch;
            }
            result.Add(order[k % problemCount]);
        }
        return result;
    }
}

/// <summary>Generated toy tasks with rule-checkable answers, for CPU smoke runs and tests.</summary>
public static class ToyTask
{
    /// <summary>"Copy the digit": problem "7=", answer "7". <paramref name="count"/> problems cycling over the digits.</summary>
    public static IReadOnlyList<Problem> Copy(int count)
    {
        return Enumerable.Range(0, count).Select(i =>
        {
            var digit = (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return new Problem($"copy-{i}", digit + "=", ShortAnswer: digit, Benchmark: "toy-copy");
        }).ToList();
    }
}

/// <summary>Turns problems (and RC summaries) into the policy's prompt token ids.</summary>
public sealed class PolicyPrompts
{
    private readonly Qwen3Tokenizer _tokenizer;
    private readonly Qwen3ChatTemplate _template;
    private readonly PromptFormat _format;
    private readonly PromptTemplate _proof;
    private readonly PromptTemplate _reasoning;

    public PolicyPrompts(Qwen3Tokenizer tokenizer, Qwen3TemplateVariant variant, PromptFormat format, string? policyPromptFile, string? rcPromptDirectory)
    {
        _tokenizer = tokenizer;
        _template = new Qwen3ChatTemplate(variant);
        _format = format;
        var library = new PromptLibrary(rcPromptDirectory);
        _proof = policyPromptFile is not null
            ? PromptTemplate.FromFile(policyPromptFile, Path.GetFileName(policyPromptFile))
            : library.Get("Rl", "proof");
        _reasoning = library.Get("Rl", "reasoning");
    }

    /// <summary>The user message for a problem, with the previous attempt's summary when there is one.</summary>
    public string UserMessage(Problem problem, string? summary) => _format == PromptFormat.Raw
        ? summary is null ? problem.Statement : problem.Statement + summary
        : summary is null
            ? _proof.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement })
            : _reasoning.Render(new Dictionary<string, string?> { ["problem"] = problem.Statement, ["summary"] = summary });

    public IReadOnlyList<int> Encode(Problem problem, string? summary = null)
    {
        var user = UserMessage(problem, summary);
        var text = _format == PromptFormat.Raw ? user : _template.Render([new ChatTurn("user", user)], addGenerationPrompt: true);
        return _tokenizer.Encode(text);
    }

    /// <summary>The completion's text without its closing end-of-turn token.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = _tokenizer.Decode(ids);
        foreach (var end in StopTokens)
            if (text.EndsWith(end, StringComparison.Ordinal)) return text[..^end.Length];
        return text;
    }

    /// <summary>Tokens that end a completion: end of turn, end of text.</summary>
    public static readonly IReadOnlyList<string> StopTokens = ["<|im_end|>", "<|endoftext|>"];

    public IReadOnlyList<int> StopTokenIds => StopTokens.Where(_tokenizer.AddedTokens.ContainsKey).Select(_tokenizer.TokenId).ToList();
}
