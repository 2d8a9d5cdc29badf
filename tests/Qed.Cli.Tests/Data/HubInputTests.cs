using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qed.Testing;

namespace Qed.Cli.Tests.Data;

/// <summary>`--in hf://datasets/...` against a loopback stand-in for the Hugging Face Hub API.</summary>
public class HubInputTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    [Fact]
    public async Task A_dataset_file_on_the_hub_is_pulled_into_the_hf_cache_and_used_as_input()
    {
        using var dir = new TempDirectory();
        var content = Encoding.UTF8.GetBytes(
            "{\"problem\": \"Prove that every tree on n vertices has exactly n - 1 edges, by induction on n.\"}\n" +
            "{\"problem\": \"Prove that every tree on n vertices has exactly n - 1 edges, by induction on n.\"}\n" +
            "{\"problem\": \"Show that there are infinitely many primes.\"}\n");
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        var requests = 0;
        app.MapGet("/api/datasets/acme/proofs/revision/{rev}", (string rev) =>
        {
            Interlocked.Increment(ref requests);
            return Results.Json(new JsonObject
            {
                ["sha"] = Commit,
                ["siblings"] = new JsonArray(
                    new JsonObject { ["rfilename"] = "README.md", ["size"] = 3, ["blobId"] = "x" },
                    new JsonObject { ["rfilename"] = "data/train.jsonl", ["lfs"] = new JsonObject { ["size"] = content.Length, ["sha256"] = sha } }),
            });
        });
        app.MapGet($"/datasets/acme/proofs/resolve/{Commit}/data/train.jsonl", () => Results.Bytes(content));
        await app.StartAsync();
        var endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var env = new Dictionary<string, string?> { ["HF_ENDPOINT"] = endpoint, ["HF_HUB_CACHE"] = dir.File("hub"), ["HF_TOKEN"] = null, ["HF_HUB_OFFLINE"] = null };

        var r = await QedProcess.RunAsync(dir.Path, env, TimeSpan.FromSeconds(90),
            "data", "dedup", "--in", "hf://datasets/acme/proofs/data/*.jsonl", "--out", "out.jsonl");

        r.ExitCode.Should().Be(0, r.StdErr);
        r.StdOut.Should().Contain("3 items, 1 near-duplicates removed");
        File.ReadAllLines(dir.File("out.jsonl")).Should().HaveCount(2);
        Directory.GetFiles(dir.File("hub"), "train.jsonl", SearchOption.AllDirectories).Should().NotBeEmpty("the file lives in the HF cache");

        // Offline, the cached snapshot is used without asking the Hub.
        var before = requests;
        env["HF_HUB_OFFLINE"] = "1";
        var offline = await QedProcess.RunAsync(dir.Path, env, TimeSpan.FromSeconds(90),
            "data", "dedup", "--in", "hf://datasets/acme/proofs/data/train.jsonl", "--out", "out2.jsonl");
        offline.ExitCode.Should().Be(0, offline.StdErr);
        requests.Should().Be(before);

        var missing = await QedProcess.RunAsync(dir.Path, env, TimeSpan.FromSeconds(90),
            "data", "dedup", "--in", "hf://datasets/acme/other/data.jsonl", "--out", "out3.jsonl");
        missing.ExitCode.Should().Be(1);
        missing.StdErr.Should().Contain("HF_HUB_OFFLINE is set");
    }
}
