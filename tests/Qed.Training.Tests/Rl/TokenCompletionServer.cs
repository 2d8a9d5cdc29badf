using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qed.Training.Checkpoints;
using Qed.Training.Models;
using Qed.Training.Policy;
using TorchSharp;

namespace Qed.Training.Tests.Rl;

/// <summary>
/// A stand-in for a vLLM/SGLang policy server on 127.0.0.1: <c>/v1/completions</c> with token-id prompts, <c>n</c>,
/// <c>logprobs</c> and <c>return_tokens_as_token_ids</c> (tokens spelled <c>token_id:N</c>, log-probs of the
/// temperature-scaled distribution), sampled from a real TorchSharp model; and SGLang's
/// <c>/update_weights_from_disk</c>, which loads a Hugging Face checkpoint folder into that model.
/// </summary>
public sealed class TokenCompletionServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Qwen3ForCausalLM _model;
    private readonly int[] _stopIds;
    private readonly object _gate = new();

    public string BaseUrl { get; private set; } = "";
    public ConcurrentQueue<JsonObject> CompletionRequests { get; } = new();
    public ConcurrentQueue<string> LoadedPaths { get; } = new();

    private TokenCompletionServer(WebApplication app, Qwen3ForCausalLM model, int[] stopIds)
    {
        _app = app; _model = model; _stopIds = stopIds;
        app.MapPost("/v1/completions", CompleteAsync);
        app.MapPost("/update_weights_from_disk", ReloadAsync);
    }

    public static async Task<TokenCompletionServer> StartAsync(Qwen3ForCausalLM model, int[] stopIds)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var server = new TokenCompletionServer(builder.Build(), model, stopIds);
        await server._app.StartAsync();
        server.BaseUrl = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/v1";
        return server;
    }

    private async Task CompleteAsync(HttpContext ctx)
    {
        var body = (await JsonNode.ParseAsync(ctx.Request.Body))!.AsObject();
        CompletionRequests.Enqueue(body);
        var prompt = body["prompt"]!.AsArray().Select(x => (int)x!.GetValue<long>()).ToList();
        int n = (int)body["n"]!.GetValue<long>();
        var options = new PolicySamplingOptions((int)body["max_tokens"]!.GetValue<long>(), body["temperature"]!.GetValue<double>(), 1.0, _stopIds);
        IReadOnlyList<SampledSequence> samples;
        lock (_gate) samples = new PolicySampler(_model).Sample(prompt, n, options, new torch.Generator((ulong)body["seed"]!.GetValue<long>()));
        var choices = new JsonArray(samples.Select((s, i) => (JsonNode)new JsonObject
        {
            ["index"] = i,
            ["text"] = "",
            ["logprobs"] = new JsonObject
            {
                ["tokens"] = new JsonArray(s.TokenIds.Select(t => (JsonNode)$"token_id:{t}").ToArray()),
                ["token_logprobs"] = new JsonArray(s.LogProbs.Select(l => (JsonNode)(double)l).ToArray()),
                ["top_logprobs"] = null,
                ["text_offset"] = new JsonArray(),
            },
            ["finish_reason"] = s.Stopped ? "stop" : "length",
        }).ToArray());
        await ctx.Response.WriteAsJsonAsync(new JsonObject { ["id"] = "cmpl-test", ["object"] = "text_completion", ["model"] = body["model"]?.DeepClone(), ["choices"] = choices });
    }

    private async Task ReloadAsync(HttpContext ctx)
    {
        var body = (await JsonNode.ParseAsync(ctx.Request.Body))!.AsObject();
        var path = body["model_path"]!.GetValue<string>();
        lock (_gate) Qwen3Checkpoint.LoadWeights(_model, path);
        LoadedPaths.Enqueue(path);
        await ctx.Response.WriteAsJsonAsync(new JsonObject { ["success"] = true, ["message"] = "Succeeded to update model weights." });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _model.Dispose();
    }
}
