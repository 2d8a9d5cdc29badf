using System.Text.Json.Nodes;
using Qed.Benchmarks;
using Qed.Llm;
using Qed.Runs;
using Qed.Scaffolds;
using Qed.Solvers;
using Qed.Testing;

namespace Qed.Tests.Scaffolds;

/// <summary>
/// A test bench for scaffolds: a scripted loopback model, a run store in a temp folder, and one call that solves a
/// problem with a scaffold YAML exactly as <c>qed prove</c> does. The script sees the whole conversation of a request.
/// </summary>
public sealed class ScaffoldBench : IAsyncDisposable
{
    public static readonly Problem Problem = new("p1", "Prove that there are infinitely many primes.");

    public LoopbackChatServer Server { get; private set; } = null!;
    public TempDirectory Dir { get; } = new();
    public string ModelPath { get; private set; } = "";
    public string StorePath => Dir.File("runs.db");

    public static async Task<ScaffoldBench> StartAsync(Func<string, ScriptedReply> script)
    {
        var bench = new ScaffoldBench();
        bench.Server = await LoopbackChatServer.StartAsync(r => script(Conversation(r)));
        bench.ModelPath = bench.WriteModel("model.yaml", bench.Server);
        return bench;
    }

    /// <summary>Every message's content of a request, in order.</summary>
    public static string Conversation(RecordedRequest r) => r.Json?["messages"] is JsonArray a
        ? string.Join("\n\n", a.Select(m => m?["content"]?.GetValue<string>() ?? ""))
        : "";

    public string WriteModel(string name, LoopbackChatServer server, string extra = "") =>
        Dir.Write(name, $"model: {Path.GetFileNameWithoutExtension(name)}\nbase_url: {server.BaseUrl}\nmax_retries: 0\ndelimiters: [\"</think>\"]\nwrite_cost: 1\n{extra}");

    public string WriteScaffold(string yaml) => Dir.Write($"scaffold-{Guid.NewGuid():N}.yaml", yaml);

    public async Task<AttemptOutcome> SolveAsync(string scaffoldPath, CancellationToken ct = default)
    {
        using var factory = new ChatClientFactory(new ChatClientFactoryOptions { GlobalConcurrency = 8, RetryBaseDelay = TimeSpan.FromMilliseconds(1) });
        var resolved = await new ScaffoldRegistry().ResolveAsync(scaffoldPath, GradingMode.Proof, new PromptLibrary(), factory, ct);
        var model = await factory.OpenAsync(ModelPath, ct);
        await using var store = await RunStore.OpenAsync(StorePath, ct);
        return await ProblemAttempt.RunAsync(store, "test", Problem, 0, model, resolved, null, ct);
    }

    public int Count(Func<string, bool> kind) => Server.Requests.Count(r => kind(Conversation(r)));

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Dir.Dispose();
    }
}
