using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Inference;
using Qed.Llm;
using Qed.Protocols;
using Qed.Runs;
using Qed.Scaffolds;
using Qed.Solvers;

namespace Qed.Cli.Commands;

/// <summary>
/// <c>qed prove [--model CFG] [--scaffold CFG] "problem text" | --file PATH [--json]</c>: one proof, each step
/// reported on stderr as it finishes, the final proof on stdout (or one JSON object with <c>--json</c>). The attempt is
/// recorded in the run store, so rerunning the same command after a kill resumes at the step where it stopped.
/// </summary>
internal static class ProveCommand
{
    public const string DefaultModel = DefaultLocalModel.Reference;

    public static IEnumerable<Command> Create()
    {
        var problem = new Argument<string?>("problem") { Description = "The problem statement (or use --file)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Read the problem statement from this file" };
        var model = new Option<string?>("--model") { Description = $"Model config: a shipped name (vllm/qed-nano), a YAML path, or local:REF (default {DefaultModel})" };
        var scaffold = new Option<string?>("--scaffold") { Description = "Scaffold config: a shipped name (reasoning-cache, deepseek-math, nomos, rsa, self-check, static-dag) or a YAML path; default: one plain call" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with proof, steps, usage and cost_usd instead of the proof" };
        var db = new Option<string>("--db") { Description = "Run store (SQLite)", DefaultValueFactory = _ => "qed.db" };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once, over all branches", DefaultValueFactory = _ => 64 };
        var protocolOption = ProtocolOption.Create();

        var command = new Command("prove", "Write a proof of one problem with a model or a test-time scaffold");
        command.Arguments.Add(problem);
        foreach (var o in new Option[] { file, model, scaffold, json, db, concurrency, protocolOption }) command.Options.Add(o);
        var llama = LlamaCliOptions.AddTo(command);
        command.WithAction(async (parse, ct) =>
        {
            var statement = await ReadStatementAsync(parse.GetValue(problem), parse.GetValue(file), ct);
            if (parse.GetValue(concurrency) < 1) throw new QedException("--concurrency must be at least 1");
            var protocol = await ProtocolOption.ResolveAsync(parse.GetValue(protocolOption), ct);
            using var factory = new ChatClientFactory(new ChatClientFactoryOptions
            {
                GlobalConcurrency = parse.GetValue(concurrency),
                Warn = m => Console.Error.WriteLine("warning: " + m),
                AdjustConfig = protocol.AdjustModel,
            }, LocalModels(llama.Read(parse)));
            var registry = new ScaffoldRegistry();
            var prompts = new PromptLibrary(Environment.GetEnvironmentVariable("QED_PROMPTS_DIR"));
            ResolvedScaffold resolved;
            ModelClient modelClient;
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            if (parse.GetValue(model) is { Length: > 0 } modelRef)
                (modelClient, resolved) = await ProtocolSetup.OpenModelAndScaffoldAsync(factory, protocol, modelRef, parse.GetValue(scaffold), GradingMode.Proof, prompts, http, ct);
            else
            {
                resolved = ProtocolSolver.Apply(protocol, await registry.ResolveAsync(await protocol.ScaffoldReferenceAsync(parse.GetValue(scaffold), ct),
                    GradingMode.Proof, prompts, factory, ct), GradingMode.Proof);
                modelClient = await OpenModelAsync(factory, null, ct);
            }
            await using var store = await RunStore.OpenAsync(parse.GetValue(db)!, ct);

            var problemRecord = new Problem("prove-" + Hashing.Sha256Hex(statement)[..12], statement, Benchmark: "prove");
            var gate = new object();
            var outcome = await ProblemAttempt.RunAsync(store, "prove", problemRecord, 0, modelClient, resolved, step =>
            {
                lock (gate)
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{step.Role}] {step.Name}  in={step.InputTokens} out={step.OutputTokens} tokens{(step.Truncated ? "  (truncated)" : "")}{(step.FromStore ? "  (from store)" : "")}"));
            }, ct);

            var sample = outcome.Sample;
            if (parse.GetValue(json)) Console.Out.WriteLine(Json(sample, outcome.Steps).ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
            else if (sample.Status != SampleStatus.Failed) Console.Out.WriteLine(sample.Answer);
            var u = sample.Usage;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{sample.Status.ToText()}: {u.Calls} calls, {u.InputTokens} input + {u.OutputTokens} output tokens, ${u.CostUsd:0.####}{(sample.Error is { } e ? " — " + e : "")}"));
            return sample.Status == SampleStatus.Failed ? 1 : 0;
        });
        return [command];
    }

    /// <summary>The engines behind <c>local:REF</c> (llama.cpp for GGUF, ONNX Runtime for ONNX exports; Qed.Inference). One source per
    /// command, so every call of a scaffold shares one loaded model and one batched decoder.</summary>
    private static ILocalModelSource LocalModels(Qed.Inference.Llama.LlamaOptions llama) => LocalModelSource.FromEnvironment(llama);

    private static async Task<string> ReadStatementAsync(string? text, string? file, CancellationToken ct)
    {
        if (text is not null && file is not null) throw new QedException("give the problem as text or with --file, not both");
        if (file is not null)
        {
            try { text = await File.ReadAllTextAsync(file, ct); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new QedException($"{file}: cannot read: {e.Message}");
            }
        }
        if (string.IsNullOrWhiteSpace(text)) throw new QedException(file is null ? "no problem given: pass the statement as text or use --file PATH" : $"{file}: the file is empty");
        return text.Trim();
    }

    private static async Task<ModelClient> OpenModelAsync(ChatClientFactory factory, string? reference, CancellationToken ct)
    {
        var name = string.IsNullOrWhiteSpace(reference) ? DefaultModel : reference;
        try
        {
            return await factory.OpenAsync(name, ct);
        }
        catch (QedException e) when (string.IsNullOrWhiteSpace(reference))
        {
            // The local source's message already says how to point at a directory or an endpoint.
            throw new QedException($"no --model given and the default model {DefaultModel} (converted once to a Q4_K_M GGUF) is not available: {e.Message} "
                + $"(for example --model local:/path/to/model.gguf, --model local:{DefaultLocalModel.OnnxRepoId} for the ONNX export, or --model vllm/qed-nano with its base_url set)");
        }
    }

    private static JsonObject Json(SampleRecord sample, IReadOnlyList<StepRecord> steps) => new()
    {
        ["proof"] = sample.Answer ?? "",
        ["status"] = sample.Status.ToText(),
        ["error"] = sample.Error,
        ["steps"] = new JsonArray(steps.Select(s => (JsonNode)new JsonObject
        {
            ["name"] = s.Name,
            ["role"] = s.Role,
            ["model"] = s.Model,
            ["input_tokens"] = s.InputTokens,
            ["output_tokens"] = s.OutputTokens,
            ["cost_usd"] = s.CostUsd,
            ["seconds"] = s.Seconds,
            ["truncated"] = s.Truncated,
        }).ToArray()),
        ["usage"] = new JsonObject
        {
            ["calls"] = sample.Usage.Calls,
            ["input_tokens"] = sample.Usage.InputTokens,
            ["output_tokens"] = sample.Usage.OutputTokens,
        },
        ["cost_usd"] = sample.Usage.CostUsd,
    };
}
