using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Qed.Data;
using Qed.Testing;

namespace Qed.Tests.Data;

public class GenerateTests
{
    private static async Task<string> Problems(TempDir dir, int count)
    {
        var rows = Enumerable.Range(0, count).Select(i => new JsonObject { ["id"] = $"p{i}", ["problem"] = $"Prove statement number {i}." }).ToList();
        var path = dir.File("problems.jsonl");
        await TableWriter.WriteAsync(path, rows);
        return path;
    }

    [Fact]
    public async Task Writes_one_line_per_request_with_completion_reasoning_usage_or_error()
    {
        using var dir = new TempDir();
        var input = await Problems(dir, 4);
        var serverErrors = new ConcurrentDictionary<string, int>();
        await using var model = await LoopbackModel.StartAsync(req =>
        {
            var user = req.LastUserMessage!;
            if (user.Contains("number 1.")) return ScriptedReply.Error(400);
            // Problem 2 fails once with a 503 (transient), then succeeds.
            if (user.Contains("number 2.") && serverErrors.AddOrUpdate(user, 1, (_, n) => n + 1) == 1) return ScriptedReply.Error(503);
            return ScriptedReply.Text("Proof. Done.", reasoning: "thinking about " + user);
        });
        var output = dir.File("gen.jsonl");

        var summary = await GenerateStage.RunAsync(input, model.Client().Chat, output,
            new GenerateOptions { RequestsPerPrompt = 2, Concurrency = 8, EnableThinking = true, Offset = 1, Limit = 2 });

        summary.Should().Be(new StageSummary(Total: 4, Resumed: 0, Done: 4, Failed: 2, Output: output));
        var rows = await TableReader.ReadAllAsync(output);
        rows.Select(r => (r.Number("index"), r.Number("request_idx"))).Should().Equal((1, 0), (1, 1), (2, 0), (2, 1));
        rows[0].Text("error").Should().StartWith("BadRequest:");
        rows[0].Has("completion").Should().BeFalse();
        rows[2].Has("error").Should().BeFalse();
        rows[2].Text("completion").Should().Be("Proof. Done.");
        rows[2].Text("reasoning").Should().Be("thinking about Prove statement number 2.");
        rows[2].Text("finish_reason").Should().Be("stop");
        rows[2].Fields["usage"]!["completion_tokens"]!.GetValue<long>().Should().Be(50);
        rows[2].Fields["messages"]![0]!["content"]!.GetValue<string>().Should().Be("Prove statement number 2.");
        rows[2].Text("id").Should().Be("p2", "the input row's fields ride along");
        model.Server.Requests.Should().OnlyContain(r => r.Json!["chat_template_kwargs"]!["enable_thinking"]!.GetValue<bool>());
        File.Exists(ResumableOutput.JournalPathFor(output)).Should().BeFalse();
    }

    [Fact]
    public async Task A_killed_run_resumes_without_asking_again_for_finished_requests()
    {
        using var dir = new TempDir();
        var input = await Problems(dir, 30);
        var output = dir.File("gen.jsonl");
        var asked = new ConcurrentBag<string>();
        await using var model = await LoopbackModel.StartAsync(req =>
        {
            asked.Add(req.LastUserMessage!);
            return ScriptedReply.Text("Proof of " + req.LastUserMessage) with { Delay = TimeSpan.FromMilliseconds(20) };
        });

        // First run: cancelled (as Ctrl-C or a kill would stop it) once some lines are journaled.
        using var cts = new CancellationTokenSource();
        var progress = new Progress<StageProgress>();
        var first = GenerateStage.RunAsync(input, model.Client().Chat, output, new GenerateOptions { Concurrency = 2 },
            new StopAfter(12, cts), cts.Token);
        await first.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();

        File.Exists(output).Should().BeFalse("nothing partial is written to the output");
        var journal = ResumableOutput.JournalPathFor(output);
        var journaled = (await TableReader.ReadAllAsync(journal)).Count;
        journaled.Should().BeGreaterThanOrEqualTo(12).And.BeLessThan(30);
        // A kill can also tear the last line in half.
        await File.AppendAllTextAsync(journal, "{\"index\": 29, \"request_");
        var askedBefore = asked.Count;

        var summary = await GenerateStage.RunAsync(input, model.Client().Chat, output, new GenerateOptions { Concurrency = 4 });

        summary.Resumed.Should().Be(journaled);
        summary.Done.Should().Be(30 - journaled);
        var rows = await TableReader.ReadAllAsync(output);
        rows.Select(r => (int)r.Number("index")!.Value).Should().Equal(Enumerable.Range(0, 30));
        rows.Should().OnlyContain(r => r.Text("completion")!.StartsWith("Proof of"));
        (asked.Count - askedBefore).Should().Be(30 - journaled, "finished requests are not sent again");
        File.Exists(journal).Should().BeFalse();

        // A third run finds everything present and sends nothing.
        var again = await GenerateStage.RunAsync(input, model.Client().Chat, output, new GenerateOptions());
        again.Should().Be(new StageSummary(30, 30, 0, 0, output));
    }

    [Fact]
    public async Task Recorded_errors_are_kept_on_rerun_unless_asked_to_retry_them()
    {
        using var dir = new TempDir();
        var input = await Problems(dir, 2);
        var output = dir.File("gen.jsonl");
        var fail = true;
        await using var model = await LoopbackModel.StartAsync(req =>
            fail && req.LastUserMessage!.Contains("number 0.") ? ScriptedReply.Error(422) : ScriptedReply.Text("ok"));

        (await GenerateStage.RunAsync(input, model.Client().Chat, output, new GenerateOptions())).Failed.Should().Be(1);
        fail = false;
        (await GenerateStage.RunAsync(input, model.Client().Chat, output, new GenerateOptions())).Done.Should().Be(0);
        var retried = await GenerateStage.RunAsync(input, model.Client().Chat, output, new GenerateOptions { RetryErrors = true });

        retried.Should().Be(new StageSummary(2, 1, 1, 0, output));
        (await TableReader.ReadAllAsync(output)).Should().OnlyContain(r => r.Text("completion") == "ok");
    }

    [Fact]
    public async Task Holds_more_than_256_requests_in_flight_at_once()
    {
        using var dir = new TempDir();
        var input = await Problems(dir, 300);
        var arrivals = new ConcurrentQueue<DateTimeOffset>();
        var delay = TimeSpan.FromSeconds(4);
        await using var model = await LoopbackModel.StartAsync(req =>
        {
            arrivals.Enqueue(DateTimeOffset.UtcNow);
            return ScriptedReply.Text("ok") with { Delay = delay };
        });
        model.Server.RecordRequests = false;

        var summary = await GenerateStage.RunAsync(input, model.Client(concurrentRequests: 300).Chat, dir.File("gen.jsonl"),
            new GenerateOptions { Concurrency = 300 });

        summary.Done.Should().Be(300);
        var first = arrivals.Min();
        arrivals.Count(a => a < first + delay).Should().BeGreaterThanOrEqualTo(256,
            "every request that arrives before the first reply is due is in flight at the same time");
    }

    [Fact]
    public async Task Bad_options_and_inputs_are_clear_errors()
    {
        using var dir = new TempDir();
        var input = dir.Write("p.jsonl", "{\"id\": 1}\n");
        await using var model = await LoopbackModel.StartAsync();
        var act = () => GenerateStage.RunAsync(input, model.Client().Chat, dir.File("o.jsonl"), new GenerateOptions());
        (await act.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain($"{input}:1: none of the fields 'problem'");
        var act2 = () => GenerateStage.RunAsync(input, model.Client().Chat, dir.File("o.jsonl"), new GenerateOptions { RequestsPerPrompt = 0 });
        (await act2.Should().ThrowAsync<QedException>()).Which.Message.Should().Contain("--requests-per-prompt");
    }

    /// <summary>Cancels the run once the stage reports the given number of finished rows.</summary>
    private sealed class StopAfter(int rows, CancellationTokenSource cts) : IProgress<StageProgress>
    {
        public void Report(StageProgress value)
        {
            if (value.Done >= rows) cts.Cancel();
        }
    }
}
