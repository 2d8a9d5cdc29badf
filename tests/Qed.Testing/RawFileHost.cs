using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Qed.Testing;

/// <summary>
/// A loopback HTTP server on 127.0.0.1 (random port) that plays a raw-file host such as raw.githubusercontent.com
/// (<c>QED_GITHUB_RAW</c>): GET of a path in <see cref="Files"/> returns its bytes, anything else 404. Every requested
/// path is recorded. <see cref="Handler"/> may answer other requests (e.g. a Responses API that is polled).
/// </summary>
public sealed class RawFileHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requested = new();

    /// <summary>Path (starting with '/') → content.</summary>
    public ConcurrentDictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);
    /// <summary>Answers a request first; return false to fall through to <see cref="Files"/>.</summary>
    public Func<HttpContext, Task<bool>>? Handler { get; set; }
    /// <summary>e.g. <c>http://127.0.0.1:41234</c> (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";
    public IReadOnlyList<string> Requested => _requested.ToArray();

    private RawFileHost(WebApplication app)
    {
        _app = app;
        app.Run(async ctx =>
        {
            _requested.Enqueue(ctx.Request.Method + " " + ctx.Request.Path);
            if (Handler is { } h && await h(ctx)) return;
            if (ctx.Request.Method == "GET" && Files.TryGetValue(ctx.Request.Path.Value ?? "", out var bytes))
            {
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.Body.WriteAsync(bytes);
                return;
            }
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsync("404: Not Found");
        });
    }

    public static async Task<RawFileHost> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var host = new RawFileHost(builder.Build());
        await host._app.StartAsync();
        host.BaseUrl = host._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return host;
    }

    public void Put(string path, string text) => Files[path.StartsWith('/') ? path : "/" + path] = System.Text.Encoding.UTF8.GetBytes(text);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
