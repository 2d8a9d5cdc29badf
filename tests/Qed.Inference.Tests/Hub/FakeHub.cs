using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Qed.Inference.Tests.Hub;

/// <summary>
/// A loopback stand-in for the Hugging Face Hub: the two endpoints a pull uses
/// (<c>/api/{models|datasets}/ID/revision/REV</c> and <c>/[datasets/]ID/resolve/REV/PATH</c> with Range support),
/// serving files held in memory. It can require a token, cut a download short once, or serve corrupted bytes.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private WebApplication _app = null!;

    public Dictionary<string, (byte[] Content, bool Lfs)> Files { get; } = new();
    public ConcurrentQueue<string> Requests { get; } = new();
    public ConcurrentQueue<string?> RangeHeaders { get; } = new();
    public string? RequiredToken { get; set; }
    /// <summary>Repo owners the fake knows (any repo name under them lists <see cref="Files"/>).</summary>
    public HashSet<string> Owners { get; } = ["acme"];
    /// <summary>Files whose next download stops after this many bytes (then the connection drops).</summary>
    public ConcurrentDictionary<string, int> CutOnce { get; } = new();
    public HashSet<string> Corrupt { get; } = new();
    public string Endpoint { get; private set; } = "";

    public static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));
    public static string GitBlobId(byte[] b) => Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {b.Length}\0"), .. b]));

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.MapGet("/api/{kind}/{owner}/{name}/revision/{rev}", (HttpContext http, string kind, string owner, string name, string rev) =>
        {
            Requests.Enqueue(http.Request.Path);
            if (!Authorized(http)) return Results.StatusCode(401);
            if (!Owners.Contains(owner)) return Results.NotFound();
            var siblings = Files.Select(f => f.Value.Lfs
                ? (object)new { rfilename = f.Key, size = f.Value.Content.Length, blobId = GitBlobId(Encoding.ASCII.GetBytes("pointer " + f.Key)), lfs = new { sha256 = Sha256(f.Value.Content), size = f.Value.Content.Length, pointerSize = 130 } }
                : new { rfilename = f.Key, size = f.Value.Content.Length, blobId = GitBlobId(f.Value.Content) });
            return Results.Json(new { id = $"{owner}/{name}", sha = Commit, siblings });
        });
        _app.MapGet("/{owner}/{name}/resolve/{rev}/{**path}", (HttpContext http, string path) => ServeFile(http, path));
        _app.MapGet("/datasets/{owner}/{name}/resolve/{rev}/{**path}", (HttpContext http, string path) => ServeFile(http, path));
        await _app.StartAsync();
        Endpoint = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    private bool Authorized(HttpContext http) =>
        RequiredToken is null || http.Request.Headers.Authorization.ToString() == "Bearer " + RequiredToken;

    private async Task ServeFile(HttpContext http, string path)
    {
        Requests.Enqueue(http.Request.Path);
        RangeHeaders.Enqueue(http.Request.Headers.Range.FirstOrDefault());
        if (!Authorized(http)) { http.Response.StatusCode = 401; return; }
        if (!Files.TryGetValue(path, out var file)) { http.Response.StatusCode = 404; return; }
        var content = Corrupt.Contains(path) ? file.Content.Select(b => (byte)(b ^ 0xFF)).ToArray() : file.Content;
        int start = 0;
        var range = http.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=") && range.EndsWith('-'))
        {
            start = int.Parse(range[6..^1]);
            http.Response.StatusCode = 206;
            http.Response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
        }
        http.Response.ContentLength = content.Length - start;
        if (CutOnce.TryRemove(path, out var cut))
        {
            await http.Response.Body.WriteAsync(content.AsMemory(start, cut));
            await http.Response.Body.FlushAsync();
            await Task.Delay(200); // let the bytes reach the client before the reset
            http.Abort();
            return;
        }
        await http.Response.Body.WriteAsync(content.AsMemory(start));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
