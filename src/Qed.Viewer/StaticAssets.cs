using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Qed.Viewer;

/// <summary>The viewer's own CSS, script and the vendored KaTeX, read from resources embedded in this assembly.</summary>
internal sealed class StaticAssets
{
    private const string Prefix = "Qed.Viewer.wwwroot/";
    private readonly Assembly _assembly = typeof(StaticAssets).Assembly;
    private readonly HashSet<string> _names;

    public StaticAssets() =>
        _names = _assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

    public IResult Serve(string path)
    {
        var name = Prefix + path;
        if (!_names.Contains(name)) return Results.NotFound();
        var stream = _assembly.GetManifestResourceStream(name)!;
        return Results.Stream(stream, ContentType(path));
    }

    private static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".woff2" => "font/woff2",
        ".woff" => "font/woff",
        ".ttf" => "font/ttf",
        ".png" => "image/png",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
