namespace Qed.Answers;

/// <summary>One end of an interval: −∞, +∞ or a finite expression.</summary>
internal readonly record struct Bound(int Infinite, MathExpr? Expr)
{
    public static Bound Of(MathExpr e) => e switch
    {
        ConstantExpr { Kind: ConstantKind.Infinity } => new Bound(1, null),
        ProductExpr { Factors: [NumberExpr n, ConstantExpr { Kind: ConstantKind.Infinity }] } when n.Value.Sign < 0 => new Bound(-1, null),
        ProductExpr { Factors: [NumberExpr n, ConstantExpr { Kind: ConstantKind.Infinity }] } when n.Value.Sign > 0 => new Bound(1, null),
        _ => new Bound(0, e),
    };
    public static readonly Bound MinusInfinity = new(-1, null);
    public static readonly Bound PlusInfinity = new(1, null);
}

internal sealed record Piece(Bound Low, Bound High, bool LowClosed, bool HighClosed);

/// <summary>Turns intervals, unions, finite sets and one-variable conditions (x ≥ 5, −2 ≤ x ≤ 7, 1 ≤ |z| ≤ 3/2,
/// x ∈ [0, 1)) into sets of reals, so that an inequality and an interval can be compared.</summary>
internal static class RealSets
{
    public static bool TryFrom(MathExpr e, out List<Piece> pieces)
    {
        pieces = [];
        switch (e)
        {
            case IntervalExpr i:
                pieces.Add(new Piece(Bound.Of(i.Low), Bound.Of(i.High), i.LowClosed, i.HighClosed));
                return true;
            case TupleExpr { Items.Count: 2 } t:
                pieces.Add(new Piece(Bound.Of(t.Items[0]), Bound.Of(t.Items[1]), false, false));
                return true;
            case UnionExpr u:
                foreach (var part in u.Parts)
                {
                    if (!TryFrom(part, out var inner)) return false;
                    pieces.AddRange(inner);
                }
                return true;
            case SetExpr s when s.Items.All(x => x is not (TupleExpr or SetExpr or IntervalExpr)):
                foreach (var x in s.Items) pieces.Add(new Piece(new Bound(0, x), new Bound(0, x), true, true));
                return true;
            case RelationExpr r:
                return TryFromRelation(r, pieces);
            case AnswerListExpr l when l.Items.All(x => x is RelationExpr):
                // "x ≤ 0 or x ≥ 1": alternatives, so their union.
                foreach (var item in l.Items)
                {
                    if (!TryFrom(item, out var inner)) return false;
                    pieces.AddRange(inner);
                }
                return true;
            default:
                return false;
        }
    }

    // The quantity a condition bounds: x, x_1, a_n, f(x).
    private static bool IsVariable(MathExpr e) => e is SymbolExpr or IndexedExpr
        || e is CallExpr { Function: var f } c && f.StartsWith("apply:", StringComparison.Ordinal) && c.Args.All(a => a is SymbolExpr);
    private static bool IsAbsVariable(MathExpr e) => e is CallExpr { Function: "abs", Args: [SymbolExpr] };
    private static bool IsConstant(MathExpr e) => AnswerShapes.FreeSymbols(e).Count == 0;

    private static bool TryFromRelation(RelationExpr r, List<Piece> pieces)
    {
        if (r.Ops is ["in"] && IsVariable(r.Operands[0])) return TryFrom(r.Operands[1], out var inner) && Add(pieces, inner);
        if (r.Ops.Count == 1)
        {
            var (a, op, b) = (r.Operands[0], r.Ops[0], r.Operands[1]);
            if ((IsVariable(b) || IsAbsVariable(b)) && IsConstant(a) && !(IsVariable(a) || IsAbsVariable(a)))
            {
                (a, b) = (b, a);
                op = Flip(op);
                if (op is null) return false;
            }
            if (!IsConstant(b)) return false;
            if (IsVariable(a))
            {
                var c = new Bound(0, b);
                switch (op)
                {
                    case "<": pieces.Add(new Piece(Bound.MinusInfinity, c, false, false)); return true;
                    case "<=": pieces.Add(new Piece(Bound.MinusInfinity, c, false, true)); return true;
                    case ">": pieces.Add(new Piece(c, Bound.PlusInfinity, false, false)); return true;
                    case ">=": pieces.Add(new Piece(c, Bound.PlusInfinity, true, false)); return true;
                    case "!=":
                        pieces.Add(new Piece(Bound.MinusInfinity, c, false, false));
                        pieces.Add(new Piece(c, Bound.PlusInfinity, false, false));
                        return true;
                    default: return false;
                }
            }
            if (IsAbsVariable(a))
            {
                var c = new Bound(0, b);
                var minus = new Bound(0, MathParser.Negate(b));
                switch (op)
                {
                    case "<": pieces.Add(new Piece(minus, c, false, false)); return true;
                    case "<=": pieces.Add(new Piece(minus, c, true, true)); return true;
                    case ">":
                    case ">=":
                        var closed = op == ">=";
                        pieces.Add(new Piece(Bound.MinusInfinity, minus, false, closed));
                        pieces.Add(new Piece(c, Bound.PlusInfinity, closed, false));
                        return true;
                    default: return false;
                }
            }
            return false;
        }
        if (r.Ops.Count == 2 && IsConstant(r.Operands[0]) && IsConstant(r.Operands[2]))
        {
            var mid = r.Operands[1];
            var ascending = r.Ops.All(o => o is "<" or "<=");
            var descending = r.Ops.All(o => o is ">" or ">=");
            if (!ascending && !descending) return false;
            var (lo, hi) = ascending ? (r.Operands[0], r.Operands[2]) : (r.Operands[2], r.Operands[0]);
            var (loClosed, hiClosed) = ascending ? (r.Ops[0] == "<=", r.Ops[1] == "<=") : (r.Ops[1] == ">=", r.Ops[0] == ">=");
            if (IsVariable(mid))
            {
                pieces.Add(new Piece(new Bound(0, lo), new Bound(0, hi), loClosed, hiClosed));
                return true;
            }
            if (IsAbsVariable(mid))
            {
                // a ≤ |z| ≤ b with a ≥ 0: [−b, −a] ∪ [a, b]; touching pieces merge when a = 0.
                pieces.Add(new Piece(new Bound(0, MathParser.Negate(hi)), new Bound(0, MathParser.Negate(lo)), hiClosed, loClosed));
                pieces.Add(new Piece(new Bound(0, lo), new Bound(0, hi), loClosed, hiClosed));
                return true;
            }
        }
        return false;
    }

    private static bool Add(List<Piece> pieces, List<Piece> more)
    {
        pieces.AddRange(more);
        return true;
    }

    private static string? Flip(string op) => op switch
    {
        "<" => ">", ">" => "<", "<=" => ">=", ">=" => "<=", "=" => "=", "!=" => "!=", _ => null,
    };
}
