using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Qed.Viewer.Rendering;

/// <summary>
/// Renders untrusted model output (proofs, verdicts, statements) as HTML: Markdown with raw HTML escaped,
/// links only to http/https, images shown as links instead of being loaded, and TeX kept intact in
/// <c>span.tex</c> elements that the page's script hands to KaTeX. Nothing in the input can add an attribute,
/// an element with behaviour, or a URL the browser would fetch by itself.
/// </summary>
public sealed class ProofMarkdown
{
    // Deliberately small: no generic attributes ({onclick=…}), no raw HTML, no media embeds.
    private readonly MarkdownPipeline _pipeline = new MarkdownPipelineBuilder()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseListExtras()
        .UseTaskLists()
        .DisableHtml()
        .Build();

    public string ToHtml(string? markdown)
    {
        if (string.IsNullOrEmpty(markdown)) return "";
        var shielded = MathShield.Protect(markdown);
        var document = Markdown.Parse(shielded.Text, _pipeline);
        Defuse(document);
        var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        _pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return Restore(writer.ToString(), shielded);
    }

    /// <summary>True for absolute http/https URLs and in-page fragments; everything else (javascript:, data:,
    /// vbscript:, file:, protocol-relative, relative paths into the viewer) is refused.</summary>
    public static bool IsSafeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return false;
        var trimmed = url.Trim();
        if (trimmed.StartsWith('#')) return trimmed.All(ch => !char.IsControl(ch));
        return Uri.TryCreate(trimmed, UriKind.Absolute, out var uri)
               && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
               && !trimmed.Any(char.IsControl);
    }

    private static void Defuse(MarkdownDocument document)
    {
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            // An image would make the browser fetch its URL; show it as an ordinary link to click instead.
            link.IsImage = false;
            if (!IsSafeUrl(link.Url))
            {
                link.Url = "";
                link.GetAttributes().AddClass("unsafe-link");
            }
            link.GetAttributes().AddProperty("rel", "nofollow noopener noreferrer");
        }
        foreach (var auto in document.Descendants<AutolinkInline>().ToList())
        {
            if (auto.IsEmail || IsSafeUrl(auto.Url)) continue;
            auto.ReplaceBy(new LiteralInline(auto.Url));
        }
    }

    private static string Restore(string html, ShieldedText shielded)
    {
        if (shielded.Spans.Count == 0) return html;
        // Tokens inside a tag (an href or title) go back as plain escaped source text, never as markup.
        var token = new Regex("(<[^>]*>)|" + Regex.Escape(shielded.TokenPrefix) + "([0-9]+)z",
            RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
        var inTag = new Regex(Regex.Escape(shielded.TokenPrefix) + "([0-9]+)z", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(2));
        MathSpan? SpanOf(string digits) =>
            int.TryParse(digits, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < shielded.Spans.Count ? shielded.Spans[i] : null;
        return token.Replace(html, m =>
        {
            if (m.Groups[1].Success)
                return inTag.Replace(m.Value, t => SpanOf(t.Groups[1].Value) is { } s ? WebUtility.HtmlEncode(s.Source) : t.Value);
            if (SpanOf(m.Groups[2].Value) is not { } span) return m.Value;
            var sb = new StringBuilder();
            sb.Append(span.Display ? "<span class=\"tex tex-display\">" : "<span class=\"tex\">");
            sb.Append(WebUtility.HtmlEncode(span.Tex));
            sb.Append("</span>");
            return sb.ToString();
        });
    }
}
