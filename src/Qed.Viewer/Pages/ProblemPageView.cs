using System.Text;
using Qed.Viewer.Rendering;
using Qed.Viewer.ReadModel;
using static Qed.Viewer.Pages.Html;

namespace Qed.Viewer.Pages;

/// <summary>One problem of one run: the problem, its reference material, and every sample with its proof,
/// verdict and scaffold steps. All model output passes through <see cref="ProofMarkdown"/>.</summary>
internal static class ProblemPageView
{
    private const string ThinkEnd = "</think>";

    public static string Render(ProblemPage page, ProofMarkdown markdown, JudgeChoice? judges = null)
    {
        var (run, problem, samples) = (page.Run, page.Problem, page.Samples);
        var sb = new StringBuilder();
        sb.Append($"<p class=\"crumbs\"><a href=\"/\">leaderboard</a> › <a href=\"/runs/{U(run.RunId)}\">run {Id(run.RunId)}</a> › {E(problem.ProblemId)}</p>");
        sb.Append($"<h1>{E(problem.ProblemId)}</h1>");
        sb.Append($"<p class=\"meta\">{E(problem.Benchmark)}");
        if (problem.Level is { } level) sb.Append($" · level {E(level)}");
        if (problem.Category is { } category) sb.Append($" · {E(category)}");
        sb.Append($" · {E(run.Model)}");
        if (run.Scaffold is { } scaffold) sb.Append($" + {E(scaffold)}");
        sb.Append("</p>");
        if (judges is { Judges.Count: > 0 })
        {
            // Which judge's grades the samples below carry; each grade is labelled with its judge either way.
            var here = $"/runs/{U(run.RunId)}/problems/{U(problem.ProblemId)}";
            sb.Append("<p class=\"judge-choice\" id=\"judge-choice\">Grades shown: ");
            sb.Append(judges.Shown is { } shown ? $"judge <b class=\"judge\">{E(shown.Name)}</b>"
                : judges.Judges.Count == 1 ? $"judge <b class=\"judge\">{E(judges.Judges[0].Name)}</b>" : $"every judge ({judges.Judges.Count}), each labelled");
            if (judges.Judges.Count > 1)
            {
                sb.Append(" · ");
                sb.Append(string.Join(" ", judges.Judges.Where(j => j.Id != judges.Shown?.Id)
                    .Select(j => $"<a class=\"judge-link\" href=\"{E(here + "?judge=" + U(j.Name))}\">only {E(j.Name)}</a>")));
                if (judges.Shown is not null) sb.Append($" <a class=\"judge-link\" href=\"{E(here)}\">every judge</a>");
            }
            sb.Append("</p>");
        }

        sb.Append($"<section class=\"problem\"><h2>Problem</h2><div class=\"md statement\">{markdown.ToHtml(problem.Statement)}</div></section>");
        Reference(sb, "Answer", "answer", problem.Answer, markdown, open: true);
        Reference(sb, "Reference solution", "reference", problem.ReferenceSolution, markdown, open: false);
        Reference(sb, "Grading guidelines", "guidelines", problem.Guidelines, markdown, open: false);
        Reference(sb, "Marking scheme", "marking-scheme", problem.MarkingScheme, markdown, open: false);

        sb.Append($"<h2>Samples ({samples.Count})</h2>");
        if (samples.Count == 0) sb.Append("<p class=\"empty\">No samples of this problem in this run.</p>");
        foreach (var s in samples) Sample(sb, run.RunId, s, markdown);
        return Layout($"{problem.ProblemId} · {run.RunId}", sb.ToString());
    }

    /// <summary>One problem as two runs answered it, their samples in two columns.</summary>
    public static string RenderSideBySide(ProblemPage a, ProblemPage b, ProofMarkdown markdown)
    {
        var problem = a.Problem;
        var sb = new StringBuilder();
        sb.Append($"<p class=\"crumbs\"><a href=\"/\">leaderboard</a> › <a href=\"/compare?a={U(a.Run.RunId)}&amp;b={U(b.Run.RunId)}\">comparison</a> › {E(problem.ProblemId)}</p>");
        sb.Append($"<h1>{E(problem.ProblemId)}</h1>");
        sb.Append($"<section class=\"problem\"><h2>Problem</h2><div class=\"md statement\">{markdown.ToHtml(problem.Statement)}</div></section>");
        Reference(sb, "Answer", "answer", problem.Answer, markdown, open: true);
        Reference(sb, "Reference solution", "reference", problem.ReferenceSolution, markdown, open: false);
        Reference(sb, "Grading guidelines", "guidelines", problem.Guidelines, markdown, open: false);
        Reference(sb, "Marking scheme", "marking-scheme", problem.MarkingScheme, markdown, open: false);
        sb.Append("<div class=\"side-by-side\">");
        foreach (var (page, label) in new[] { (a, "A"), (b, "B") })
        {
            sb.Append($"<div class=\"column\" id=\"column-{label.ToLowerInvariant()}\"><h2>Run {label}: <a href=\"/runs/{U(page.Run.RunId)}/problems/{U(problem.ProblemId)}\">{Id(page.Run.RunId)}</a></h2>");
            sb.Append($"<p class=\"meta\">{E(page.Run.Model)}{(page.Run.Scaffold is { } sc ? " + " + E(sc) : "")}</p>");
            if (page.Samples.Count == 0) sb.Append("<p class=\"empty\">No samples of this problem in this run.</p>");
            foreach (var s in page.Samples) Sample(sb, page.Run.RunId, s, markdown);
            sb.Append("</div>");
        }
        sb.Append("</div>");
        return Layout($"{problem.ProblemId} · {a.Run.RunId} vs {b.Run.RunId}", sb.ToString());
    }

    private static void Reference(StringBuilder sb, string title, string cls, string? text, ProofMarkdown markdown, bool open)
    {
        if (string.IsNullOrWhiteSpace(text)) return;
        sb.Append($"<details class=\"reference {cls}\"{(open ? " open" : "")}><summary>{E(title)}</summary><div class=\"md\">{markdown.ToHtml(text)}</div></details>");
    }

    /// <summary>A step's messages as an HTML fragment (fetched by the page when the step is opened).</summary>
    public static string StepMessages(IReadOnlyList<MessageView> messages, ProofMarkdown markdown)
    {
        var sb = new StringBuilder();
        foreach (var m in messages)
            sb.Append($"<div class=\"message role-{E(m.Role)}\"><div class=\"role\">{E(m.Role)}</div><div class=\"md\">{markdown.ToHtml(m.Text)}</div></div>");
        return sb.ToString();
    }

    internal static void Sample(StringBuilder sb, string runId, SampleView s, ProofMarkdown markdown)
    {
        sb.Append($"<section class=\"sample status-{E(s.Status)}\" id=\"sample-{E(s.SampleId)}\">");
        sb.Append($"<h3>Sample {s.Index} <span class=\"status status-{E(s.Status)}\">{E(s.Status)}</span>");
        foreach (var g in s.Grades)
        {
            var judge = g.Judge is { } jn ? $"<span class=\"judge\">{E(jn)}</span>: " : "";
            sb.Append(g.Points is { } pts
                ? $" <span class=\"points\">{judge}{E(Points(pts))} / {E(Points(g.MaxPoints))}</span>"
                : $" <span class=\"points ungraded\">{judge}{E(g.Status)}</span>");
        }
        if (s.Grades.Count == 0)
            sb.Append(" <span class=\"points ungraded\">not graded</span>");
        sb.Append($" <span class=\"usage\">{E(UsageText(s.Usage))}</span></h3>");

        if (!string.IsNullOrEmpty(s.Error))
            sb.Append($"<pre class=\"error\">{E(s.Error)}</pre>");

        var (thinking, proof) = s.Reasoning is { Length: > 0 } r ? (r, s.Text) : SplitThinking(s.Text);
        if (thinking is not null)
            sb.Append($"<details class=\"thinking\"><summary>Reasoning ({thinking.Length:N0} characters)</summary><div class=\"md\">{markdown.ToHtml(thinking)}</div></details>");
        if (!string.IsNullOrWhiteSpace(proof))
            sb.Append($"<div class=\"md proof\">{markdown.ToHtml(proof)}</div>");
        else if (string.IsNullOrEmpty(s.Error))
            sb.Append("<p class=\"empty\">No proof text.</p>");

        foreach (var grade in s.Grades)
        {
            var points = grade.Points is { } gp ? $"{Points(gp)} / {Points(grade.MaxPoints)}" : grade.Status;
            sb.Append($"<div class=\"verdict\" data-judge=\"{E(grade.Judge ?? "")}\"><h4>Judge verdict{(grade.Judge is { } j ? $" ({E(j)})" : "")}: {E(points)}</h4>");
            if (!string.IsNullOrEmpty(grade.Error)) sb.Append($"<pre class=\"error\">{E(grade.Error)}</pre>");
            sb.Append(string.IsNullOrWhiteSpace(grade.Verdict) ? "<p class=\"empty\">No verdict text.</p>" : $"<div class=\"md\">{markdown.ToHtml(grade.Verdict)}</div>");
            sb.Append("</div>");
        }

        if (s.Steps.Count > 0)
        {
            sb.Append($"<details class=\"timeline\"><summary>Scaffold steps ({s.Steps.Count})</summary><ol class=\"steps\">");
            foreach (var step in s.Steps)
            {
                var src = $"/runs/{U(runId)}/steps?sample={U(s.SampleId)}&key={U(step.Key)}";
                sb.Append($"<li class=\"step\"><details data-step-src=\"{E(src)}\"><summary><b>{step.Index}. {E(step.Name)}</b>");
                if (step.Status is { } st) sb.Append($" <span class=\"status status-{E(st)}\">{E(st)}</span>");
                sb.Append($" <span class=\"usage\">{E(UsageText(step.Usage))}</span></summary>");
                sb.Append($"<div class=\"step-body\"><p class=\"empty\">Loading… (<a href=\"{E(src)}\">open the messages</a>)</p></div>");
                sb.Append("</details></li>");
            }
            sb.Append("</ol></details>");
        }
        sb.Append("</section>");
    }

    /// <summary>Reasoning models write their thinking before <c>&lt;/think&gt;</c>; the proof is what follows.</summary>
    internal static (string? Thinking, string? Proof) SplitThinking(string? text)
    {
        if (text is null) return (null, null);
        var end = text.LastIndexOf(ThinkEnd, StringComparison.Ordinal);
        if (end < 0) return (null, text);
        var thinking = text[..end];
        var start = thinking.IndexOf("<think>", StringComparison.Ordinal);
        if (start >= 0) thinking = thinking[(start + "<think>".Length)..];
        return (thinking.Trim(), text[(end + ThinkEnd.Length)..].Trim());
    }

    private static string UsageText(UsageView u) =>
        $"{Tokens(u.InputTokens)} in · {Tokens(u.OutputTokens)} out" + (u.CostUsd is { } c ? $" · {Cost(c)}" : "");
}
