using System.Text;

namespace Qed.Answers;

/// <summary>Writes an expression as plain text: <see cref="Display"/> keeps the written order,
/// <see cref="Canonical"/> sorts the operands of commutative operations so equal structures print equally.</summary>
public static class MathRender
{
    public static string Display(MathExpr e) => Write(e, canonical: false);
    public static string Canonical(MathExpr e) => Write(e, canonical: true);

    private static string Write(MathExpr e, bool canonical)
    {
        var sb = new StringBuilder();
        Write(sb, e, canonical, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, MathExpr e, bool c, int depth)
    {
        if (depth > 300) { sb.Append('…'); return; }
        var d = depth + 1;
        switch (e)
        {
            case NumberExpr n: sb.Append(n.Value.ToString()); break;
            case SymbolExpr s: sb.Append(s.Name); break;
            case ConstantExpr k:
                sb.Append(k.Kind switch { ConstantKind.Pi => "pi", ConstantKind.E => "e", ConstantKind.I => "i", _ => "oo" });
                break;
            case SumExpr s:
                sb.Append('(');
                Join(sb, Flatten<SumExpr>(s.Terms, x => x is SumExpr ss ? ss.Terms : null), " + ", c, d, c);
                sb.Append(')');
                break;
            case ProductExpr p:
                Join(sb, Flatten<ProductExpr>(p.Factors, x => x is ProductExpr pp ? pp.Factors : null), "*", c, d, c);
                break;
            case PowerExpr p:
                sb.Append('(');
                Write(sb, p.Base, c, d);
                sb.Append(")^(");
                Write(sb, p.Exponent, c, d);
                sb.Append(')');
                break;
            case CallExpr f:
                sb.Append(f.Function.StartsWith("apply:", StringComparison.Ordinal) ? f.Function[6..] : f.Function).Append('(');
                Join(sb, f.Args, ", ", false, d, c);
                sb.Append(')');
                break;
            case IndexedExpr x:
                sb.Append(x.Name).Append('[');
                Write(sb, x.Index, c, d);
                sb.Append(']');
                break;
            case PlusMinusExpr pm:
                sb.Append(pm.Minus ? "∓(" : "±(");
                Write(sb, pm.Right, c, d);
                sb.Append(')');
                break;
            case TupleExpr t:
                sb.Append('(');
                Join(sb, t.Items, ", ", false, d, c);
                sb.Append(')');
                break;
            case SetExpr s:
                sb.Append('{');
                Join(sb, s.Items, ", ", c, d, c);
                sb.Append('}');
                break;
            case IntervalExpr i:
                sb.Append(i.LowClosed ? '[' : '(');
                Write(sb, i.Low, c, d);
                sb.Append(", ");
                Write(sb, i.High, c, d);
                sb.Append(i.HighClosed ? ']' : ')');
                break;
            case UnionExpr u:
                Join(sb, u.Parts, " U ", c, d, c);
                break;
            case MatrixExpr m:
                sb.Append('[');
                for (var r = 0; r < m.Rows.Count; r++)
                {
                    if (r > 0) sb.Append(", ");
                    sb.Append('[');
                    Join(sb, m.Rows[r], ", ", false, d, c);
                    sb.Append(']');
                }
                sb.Append(']');
                break;
            case RelationExpr r:
                for (var k = 0; k < r.Operands.Count; k++)
                {
                    if (k > 0) sb.Append(' ').Append(r.Ops[k - 1]).Append(' ');
                    Write(sb, r.Operands[k], c, d);
                }
                break;
            case AnswerListExpr l:
                Join(sb, l.Items, ", ", c, d, c);
                break;
            case TextExpr t: sb.Append('"').Append(t.Text).Append('"'); break;
            case PercentExpr p:
                Write(sb, p.Inner, c, d);
                sb.Append('%');
                break;
            case DegreesExpr g:
                Write(sb, g.Inner, c, d);
                sb.Append('°');
                break;
            case SeriesExpr s:
                sb.Append(s.IsProduct ? "prod(" : "sum(").Append(s.Variable).Append('=');
                Write(sb, s.Low, c, d);
                sb.Append("..");
                Write(sb, s.High, c, d);
                sb.Append(", ");
                Write(sb, s.Body, c, d);
                sb.Append(')');
                break;
            case RatioExpr r:
                Join(sb, r.Parts, ":", false, d, c);
                break;
        }
    }

    private static IEnumerable<MathExpr> Flatten<T>(IReadOnlyList<MathExpr> items, Func<MathExpr, IReadOnlyList<MathExpr>?> children)
    {
        foreach (var item in items)
        {
            var inner = children(item);
            if (inner is null) yield return item;
            else foreach (var x in Flatten<T>(inner, children)) yield return x;
        }
    }

    private static void Join(StringBuilder sb, IEnumerable<MathExpr> items, string separator, bool sort, int depth, bool canonical)
    {
        if (sort)
        {
            var parts = items.Select(x => { var b = new StringBuilder(); Write(b, x, true, depth); return b.ToString(); }).ToList();
            parts.Sort(StringComparer.Ordinal);
            sb.AppendJoin(separator, parts);
            return;
        }
        var first = true;
        foreach (var item in items)
        {
            if (!first) sb.Append(separator);
            first = false;
            Write(sb, item, canonical, depth);
        }
    }
}
