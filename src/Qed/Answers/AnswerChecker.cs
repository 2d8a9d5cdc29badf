using System.Text.RegularExpressions;

namespace Qed.Answers;

/// <summary>
/// Decides whether a predicted answer equals the reference: extraction from the reply, parsing to
/// <see cref="MathExpr"/>, normalisation, then exact comparison. Pure and thread-safe: every call owns its
/// budget, so calls run in parallel freely. Past the time or size limit the verdict is undecided, never a hang;
/// cancelling the token throws <see cref="OperationCanceledException"/>.
/// </summary>
public static partial class AnswerChecker
{
    public static AnswerCheck Check(string gold, string pred, AnswerOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(pred);
        options ??= AnswerOptions.Default;
        if (gold.Length > options.MaxInputChars || pred.Length > options.MaxInputChars)
            return new AnswerCheck(AnswerVerdict.Undecided, null, null, $"input longer than {options.MaxInputChars} characters");
        var budget = new AnswerBudget(options.Timeout, options.MaxBits, ct);
        string? goldShown = null, predShown = null;
        try
        {
            var (latex, expr) = Notations(options.MatchTypes);
            var g = Read(gold, latex, expr, options, budget, reference: true);
            var p = Read(pred, latex, expr, options, budget, reference: false);
            goldShown = g.Shown;
            predShown = p.Shown;
            if (p.Malformed)
                return new AnswerCheck(AnswerVerdict.Undecided, goldShown, null, "the prediction is malformed: a \\boxed{ is never closed");
            if (g.Text is null)
                return new AnswerCheck(AnswerVerdict.Undecided, null, predShown, "no answer found in the gold");
            if (p.Text is null)
                return new AnswerCheck(AnswerVerdict.Different, goldShown, null, "no answer found in the prediction");
            // A worded reference ("odd $n$") restated word for word by the prediction.
            if ((g.Expr is TextExpr || p.Expr is TextExpr)
                && (PlainText(gold) == PlainText(pred) || PlainText(g.Text) == PlainText(p.Text) || PlainText(g.Text) == PlainText(pred)))
                return new AnswerCheck(AnswerVerdict.Equivalent, goldShown, predShown, "same worded answer");
            if (g.Expr is null || p.Expr is null)
            {
                // Unparsed text is compared as written, macros included: "\foo{5}" and "\frac{1}{2" are not "5" and "12".
                var why = g.Expr is null ? $"gold not parsed ({g.Error})" : $"prediction not parsed ({p.Error})";
                return ExactText(g.Text) == ExactText(p.Text)
                    ? new AnswerCheck(AnswerVerdict.Equivalent, goldShown, predShown, $"same text; {why}")
                    : new AnswerCheck(AnswerVerdict.Undecided, goldShown, predShown, why);
            }
            var judgement = new AnswerComparison(budget, options.Precision, options.Strict, options.AllowSetRelationComparison).Compare(g.Expr, p.Expr);
            var verdict = judgement.Outcome switch
            {
                Outcome.Equal => AnswerVerdict.Equivalent,
                Outcome.Different => AnswerVerdict.Different,
                _ => AnswerVerdict.Undecided,
            };
            return new AnswerCheck(verdict, goldShown, predShown, judgement.Reason);
        }
        catch (AnswerLimitException e)
        {
            return new AnswerCheck(AnswerVerdict.Undecided, goldShown, predShown, e.Message);
        }
        catch (RegexMatchTimeoutException)
        {
            return new AnswerCheck(AnswerVerdict.Undecided, goldShown, predShown, "time limit exceeded while extracting the answer");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A fault in one check must not stop a batch of thousands: report it as the reason.
            return new AnswerCheck(AnswerVerdict.Undecided, goldShown, predShown, $"checker fault: {e.GetType().Name}: {e.Message}");
        }
    }

    private static (bool Latex, bool Expr) Notations(IReadOnlyList<string>? matchTypes)
    {
        if (matchTypes is null || matchTypes.Count == 0) return (true, true);
        var latex = matchTypes.Contains("latex", StringComparer.OrdinalIgnoreCase);
        var expr = matchTypes.Contains("expr", StringComparer.OrdinalIgnoreCase);
        return latex || expr ? (latex, expr) : (true, true);
    }

    private sealed record Side(string? Text, MathExpr? Expr, string? Error, string? Shown, bool Malformed = false);

    private static Side Read(string reply, bool latex, bool expr, AnswerOptions options, AnswerBudget budget, bool reference)
    {
        var found = FinalAnswerExtraction.Find(reply, latex, expr, words: true, reference);
        budget.Check();
        if (found is null) return new Side(null, null, "no answer", null);
        if (found.How == FinalAnswerExtraction.MalformedAnswer) return new Side(null, null, "malformed", null, Malformed: true);
        if (found.How == FinalAnswerExtraction.WordsAnswer) return Worded(found.Text);
        if (found.Text.Length > options.MaxAnswerChars)
            throw new AnswerLimitException($"extracted answer longer than {options.MaxAnswerChars} characters");
        var text = FinalAnswerExtraction.MayHavePartLabels(found.Text)
            ? FinalAnswerExtraction.JoinParts(found.Text) ?? FinalAnswerExtraction.WithoutLonePartLabel(found.Text)
            : found.Text;
        var prepared = Prepare(text, found.Plain);
        // "odd $n$", "P(n) = … for some integer a": qualified in words, so compared as text (or by a judge), never as letters.
        if (FinalAnswerExtraction.IsProse(WithoutCommands(prepared))) return Worded(found.Text);
        try
        {
            var parsed = MathParser.Parse(prepared, budget);
            var normal = AnswerShapes.Normalize(parsed, budget);
            return new Side(found.Text, normal, null, MathRender.Display(normal));
        }
        catch (ParseException e)
        {
            // "a = \weird{b} = 7": a chain whose middle we cannot read still states its final side.
            var last = FinalSide(prepared);
            if (last is not null)
            {
                try
                {
                    var normal = AnswerShapes.Normalize(MathParser.Parse(last, budget), budget);
                    return new Side(found.Text, normal, null, MathRender.Display(normal));
                }
                catch (ParseException) { }
            }
            return new Side(found.Text, null, e.Message, prepared);
        }
    }

    /// <summary>The text after the last '=' outside brackets and braces, when there is one and it is not empty.</summary>
    private static string? FinalSide(string s)
    {
        var depth = 0;
        var at = -1;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '\\') { i++; continue; }
            if (c is '{' or '(' or '[') depth++;
            else if (c is '}' or ')' or ']') depth--;
            else if (c == '=' && depth == 0) at = i;
        }
        if (at < 0 || depth != 0) return null;
        var rest = s[(at + 1)..].Trim();
        return rest.Length == 0 ? null : rest;
    }

    /// <summary>Text as written, without white space or maths delimiters: how unparsed answers are compared.</summary>
    private static string ExactText(string s)
    {
        var simplified = LatexCleaning.Simplify(LatexCleaning.RepairEscapes(s));
        return new string(simplified.Where(c => !char.IsWhiteSpace(c)).ToArray());
    }

    /// <summary>Cleans an extracted answer for the parser; plain-text numbers may use a decimal comma (2,74).</summary>
    internal static string Prepare(string answer, bool plain)
    {
        var s = LatexCleaning.Simplify(LatexCleaning.RepairEscapes(answer));
        s = GluedConnectiveRe().Replace(s, " $1 ");
        if (plain)
        {
            var m = DecimalCommaRe().Match(s);
            if (m.Success && !ThousandsRe().IsMatch(s)) s = s.Replace(',', '.');
        }
        return s;
    }

    private static Side Worded(string text)
    {
        var words = LatexCleaning.Simplify(LatexCleaning.RepairEscapes(text)).Trim();
        return new Side(text, new TextExpr(words), null, words);
    }

    private static string WithoutCommands(string s) => CommandRe().Replace(s, " ");

    [GeneratedRegex(@"\\[A-Za-z]+", RegexOptions.None, 200)]
    private static partial Regex CommandRe();

    /// <summary>Letters and digits only, lower case, without LaTeX command names: how worded answers are compared.</summary>
    internal static string PlainText(string s) =>
        new(WithoutCommands(LatexCleaning.Simplify(LatexCleaning.RepairEscapes(s))).ToLowerInvariant().Where(char.IsLetterOrDigit).ToArray());

    [GeneratedRegex(@"(?<=[0-9)\]}])(or|and)(?=[A-Z(\[\\])", RegexOptions.None, 200)]
    private static partial Regex GluedConnectiveRe();

    // 0,111 and 1000,99 and 2,74 read as decimals; 3,7 stays a list of two answers; 1,234 is a thousands separator.
    [GeneratedRegex(@"^-?(?:0,\d+|\d{4,},\d+|\d+,\d{2}|\d+,\d{4,})$", RegexOptions.None, 200)]
    private static partial Regex DecimalCommaRe();

    [GeneratedRegex(@"^-?[1-9]\d{0,2}(,\d{3})+$", RegexOptions.None, 200)]
    private static partial Regex ThousandsRe();
}
