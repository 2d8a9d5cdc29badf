using System.Numerics;

namespace Qed.Answers;

internal enum Outcome { Equal, Different, Unknown }

internal readonly record struct Judgement(Outcome Outcome, string Reason)
{
    public static Judgement Equal(string reason) => new(Outcome.Equal, reason);
    public static Judgement Different(string reason) => new(Outcome.Different, reason);
    public static Judgement Unknown(string reason) => new(Outcome.Unknown, reason);
}

/// <summary>
/// Decides whether two parsed answers are the same: by shape first (lists, tuples, intervals, relations,
/// matrices, text), then for scalars by exact evaluation, at several rational points when there are free symbols.
/// One instance serves one check.
/// </summary>
internal sealed class AnswerComparison(AnswerBudget budget, int precision, bool strict, bool allowSetRelation = true)
{
    private const int Points = 6;

    public Judgement Compare(MathExpr g, MathExpr p, int depth = 0)
    {
        budget.Tick();
        if (depth > 40) return Judgement.Unknown("answers nested too deeply");
        var d = depth + 1;
        if (MathRender.Canonical(g) == MathRender.Canonical(p)) return Judgement.Equal("same expression after normalisation");

        if (g is RelationExpr gr && p is RelationExpr pr) return CompareRelations(gr, pr, d);
        if (!allowSetRelation && IsSetLike(g) && (p is RelationExpr pc && AnswerShapes.TryLabelValue(pc) is null || IsConditionList(p)))
            return Judgement.Different("a condition is not compared with a set (allow_set_relation_comp is false)");
        // Not strict: a tuple and a set of the same items match, as in Math-Verify.
        if (!strict && (g is TupleExpr && p is SetExpr || g is SetExpr && p is TupleExpr))
            return Unordered(g is TupleExpr gt1 ? gt1.Items : Items(g), p is TupleExpr pt1 ? pt1.Items : Items(p), d);
        if (g is RelationExpr || p is RelationExpr)
        {
            var rel = (RelationExpr)(g is RelationExpr ? g : p);
            var other = g is RelationExpr ? p : g;
            // A label ("x = 5") or a computation whose final side is a value ("2 + 3 = 5", "A + B = [[…]]", "m + n = 41").
            var value = AnswerShapes.TryLabelValue(rel) ?? AnswerShapes.TryFinalValue(rel, reference: g is RelationExpr);
            if (value is not null) return g is RelationExpr ? Compare(value, p, d) : Compare(g, value, d);
            if (other is IntervalExpr or UnionExpr or TupleExpr { Items.Count: 2 } && RealSets.TryFrom(rel, out _))
                return CompareRealSets(g, p);
            return Judgement.Different("a condition against a value");
        }

        if ((g is IntervalExpr or UnionExpr && IsConditionList(p)) || (p is IntervalExpr or UnionExpr && IsConditionList(g)))
            return CompareRealSets(g, p);
        if (g is AnswerListExpr or SetExpr || p is AnswerListExpr or SetExpr)
        {
            if (g is TupleExpr gt0 && p is AnswerListExpr pl0) return Ordered(gt0.Items, pl0.Items, d, "tuple");
            if (p is TupleExpr pt0 && g is AnswerListExpr gl0) return Ordered(gl0.Items, pt0.Items, d, "tuple");
            if (g is SetExpr && p is IntervalExpr or UnionExpr || p is SetExpr && g is IntervalExpr or UnionExpr)
                return CompareRealSets(g, p);
            return Unordered(Items(g), Items(p), d);
        }

        if (g is IntervalExpr or UnionExpr || p is IntervalExpr or UnionExpr) return CompareRealSets(g, p);
        if (g is TupleExpr gt && p is TupleExpr pt) return Ordered(gt.Items, pt.Items, d, "tuple");
        if (g is MatrixExpr gm && p is MatrixExpr pm)
        {
            var vectors = (gm.Rows.Count == 1 || gm.Rows[0].Count == 1) && (pm.Rows.Count == 1 || pm.Rows[0].Count == 1);
            if (!vectors && (gm.Rows.Count != pm.Rows.Count || gm.Rows[0].Count != pm.Rows[0].Count)) return Judgement.Different("matrix shapes differ");
            return Ordered(gm.Rows.SelectMany(r => r).ToList(), pm.Rows.SelectMany(r => r).ToList(), d, "matrix");
        }
        if (g is MatrixExpr gv && p is TupleExpr tv && (gv.Rows.Count == 1 || gv.Rows[0].Count == 1))
            return Ordered(gv.Rows.SelectMany(r => r).ToList(), tv.Items, d, "vector");
        if (p is MatrixExpr pv && g is TupleExpr tg && (pv.Rows.Count == 1 || pv.Rows[0].Count == 1))
            return Ordered(tg.Items, pv.Rows.SelectMany(r => r).ToList(), d, "vector");
        if (g is TextExpr || p is TextExpr) return CompareText(g, p);
        if (g is PercentExpr gp && p is PercentExpr pp) return Compare(gp.Inner, pp.Inner, d);
        if (g is PercentExpr || p is PercentExpr)
        {
            var (percent, other) = g is PercentExpr x ? (x, p) : ((PercentExpr)p, g);
            var asNumber = g is PercentExpr ? Compare(percent.Inner, other, d) : Compare(other, percent.Inner, d);
            if (asNumber.Outcome == Outcome.Equal) return asNumber;
            var fraction = new ProductExpr([percent.Inner, new NumberExpr(new Rational(1, 100), false)]);
            var asFraction = g is PercentExpr ? Compare(fraction, other, d) : Compare(other, fraction, d);
            return asFraction.Outcome == Outcome.Equal ? asFraction : asNumber;
        }
        if (g is DegreesExpr gdeg && p is DegreesExpr pdeg) return Compare(gdeg.Inner, pdeg.Inner, d);
        if (g is DegreesExpr || p is DegreesExpr)
        {
            var (degrees, other) = g is DegreesExpr x ? (x, p) : ((DegreesExpr)p, g);
            var asNumber = g is DegreesExpr ? Compare(degrees.Inner, other, d) : Compare(other, degrees.Inner, d);
            if (asNumber.Outcome == Outcome.Equal) return asNumber;
            var radians = new ProductExpr([degrees.Inner, new ConstantExpr(ConstantKind.Pi), new NumberExpr(new Rational(1, 180), false)]);
            var asRadians = g is DegreesExpr ? Compare(radians, other, d) : Compare(other, radians, d);
            return asRadians.Outcome == Outcome.Equal ? Judgement.Equal("same angle in radians") : asNumber;
        }
        if (g is RatioExpr gq && p is RatioExpr pq)
        {
            if (gq.Parts.Count != pq.Parts.Count) return Judgement.Different("ratios of different lengths");
            var parts = Ordered(gq.Parts, pq.Parts, d, "ratio");
            if (parts.Outcome == Outcome.Equal || gq.Parts.Count != 2) return parts;
            var asValue = CompareScalars(gq, pq);
            return asValue.Outcome == Outcome.Unknown ? parts : asValue;
        }
        if (g is TupleExpr or MatrixExpr || p is TupleExpr or MatrixExpr)
            return Judgement.Different($"a {Kind(g)} against a {Kind(p)}");
        return CompareScalars(g, p);
    }

    private static bool IsSetLike(MathExpr e) => e is IntervalExpr or UnionExpr or SetExpr or TupleExpr { Items.Count: 2 };

    private static bool IsConditionList(MathExpr e) =>
        e is AnswerListExpr l && l.Items.All(x => x is RelationExpr r && AnswerShapes.TryLabelValue(r) is null);

    private static string Kind(MathExpr e) => e switch
    {
        TupleExpr => "tuple", MatrixExpr => "matrix", SetExpr => "set", IntervalExpr or UnionExpr => "interval",
        RelationExpr => "relation", TextExpr => "text", _ => "value",
    };

    private static IReadOnlyList<MathExpr> Items(MathExpr e) => e switch
    {
        AnswerListExpr l => l.Items,
        SetExpr s => s.Items,
        _ => [e],
    };

    private Judgement Ordered(IReadOnlyList<MathExpr> g, IReadOnlyList<MathExpr> p, int depth, string what)
    {
        if (g.Count != p.Count) return Judgement.Different($"{what} of {g.Count} items against {p.Count}");
        Judgement? unknown = null;
        for (var k = 0; k < g.Count; k++)
        {
            var j = Compare(g[k], p[k], depth);
            if (j.Outcome == Outcome.Different) return Judgement.Different($"{what} item {k + 1} differs: {j.Reason}");
            if (j.Outcome == Outcome.Unknown) unknown ??= j;
        }
        return unknown ?? Judgement.Equal($"{what} items equal in order");
    }

    private Judgement Unordered(IReadOnlyList<MathExpr> g, IReadOnlyList<MathExpr> p, int depth)
    {
        // Repeated items ("x = 1, x = 1") count once.
        var gd = Distinct(g);
        var pd = Distinct(p);
        if (gd.Count != pd.Count) return Judgement.Different($"{gd.Count} answers against {pd.Count}");
        var n = gd.Count;
        if (n > 64) return Judgement.Unknown("too many answers to match");
        var outcome = new Judgement?[n, n];
        Judgement At(int i, int j) => outcome[i, j] ??= Compare(gd[i], pd[j], depth);
        var used = new bool[n];
        var anyUnknown = false;
        bool Match(int i)
        {
            if (i == n) return true;
            for (var j = 0; j < n; j++)
            {
                budget.Tick(); // backtracking over many items is bounded by the check's time limit
                if (used[j]) continue;
                var o = At(i, j).Outcome;
                if (o == Outcome.Unknown) anyUnknown = true;
                if (o != Outcome.Equal) continue;
                used[j] = true;
                if (Match(i + 1)) return true;
                used[j] = false;
            }
            return false;
        }
        if (Match(0)) return Judgement.Equal(n == 1 ? At(0, 0).Reason : $"all {n} answers match");
        return anyUnknown ? Judgement.Unknown("some answers could not be matched") : Judgement.Different("the answers do not match one to one");
    }

    private static List<MathExpr> Distinct(IReadOnlyList<MathExpr> items)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<MathExpr>();
        foreach (var x in items) if (seen.Add(MathRender.Canonical(x))) result.Add(x);
        return result;
    }

    // ---------- text ----------

    private static Judgement CompareText(MathExpr g, MathExpr p)
    {
        var a = AnswerChecker.PlainText(TextOf(g));
        var b = AnswerChecker.PlainText(TextOf(p));
        if (a.Length == 0 || b.Length == 0) return Judgement.Unknown("empty text");
        if (a == b) return Judgement.Equal("same text");
        // Two worded answers may say the same thing differently ("no solutions", "there is none"): a judge decides.
        if (IsWorded(g) || IsWorded(p)) return Judgement.Unknown("a worded answer differs in wording");
        return Judgement.Different($"text \"{a}\" against \"{b}\"");
    }

    private static bool IsWorded(MathExpr e) => e is TextExpr t && t.Text.Trim().Contains(' ');

    private static string TextOf(MathExpr e) => e switch
    {
        TextExpr t => t.Text,
        SymbolExpr s => s.Name,
        ConstantExpr { Kind: ConstantKind.E } => "e",
        ConstantExpr { Kind: ConstantKind.I } => "i",
        ProductExpr p when p.Factors.All(f => f is SymbolExpr or TextExpr or ConstantExpr) => string.Concat(p.Factors.Select(TextOf)),
        _ => MathRender.Display(e),
    };


    // ---------- intervals ----------

    private Judgement CompareRealSets(MathExpr g, MathExpr p)
    {
        if (!RealSets.TryFrom(g, out var gp) || !RealSets.TryFrom(p, out var pp))
            return Judgement.Different($"a {Kind(g)} against a {Kind(p)}");
        var decimals = AnswerShapes.ContainsDecimal(g) || AnswerShapes.ContainsDecimal(p);
        var ge = Evaluate(gp);
        var pe = Evaluate(pp);
        if (ge is null || pe is null) return Judgement.Unknown("interval ends could not be evaluated");
        if (ge.Count != pe.Count) return Judgement.Different($"{ge.Count} intervals against {pe.Count}");
        for (var k = 0; k < ge.Count; k++)
        {
            var (a, b) = (ge[k], pe[k]);
            foreach (var (x, y, xc, yc, end) in new[] { (a.Lo, b.Lo, a.LoClosed, b.LoClosed, "lower"), (a.Hi, b.Hi, a.HiClosed, b.HiClosed, "upper") })
            {
                if (x.Infinite != y.Infinite) return Judgement.Different($"{end} ends differ (infinite against finite)");
                if (x.Infinite != 0) continue;
                var j = CompareValues(x.Value, y.Value, decimals);
                if (j.Outcome != Outcome.Equal) return j.Outcome == Outcome.Different ? Judgement.Different($"{end} ends differ: {j.Reason}") : j;
                if (xc != yc) return Judgement.Different($"{end} end is {(xc ? "closed" : "open")} in the gold and {(yc ? "closed" : "open")} in the answer");
            }
        }
        return Judgement.Equal("same set of reals");
    }

    private readonly record struct End(int Infinite, Value Value);
    private readonly record struct EvaluatedPiece(End Lo, End Hi, bool LoClosed, bool HiClosed);

    private List<EvaluatedPiece>? Evaluate(List<Piece> pieces)
    {
        var result = new List<EvaluatedPiece>();
        foreach (var piece in pieces)
        {
            var lo = EvalEnd(piece.Low);
            var hi = EvalEnd(piece.High);
            if (lo is null || hi is null) return null;
            // Infinite ends are open whatever was written.
            result.Add(new EvaluatedPiece(lo.Value, hi.Value, piece.LowClosed && lo.Value.Infinite == 0, piece.HighClosed && hi.Value.Infinite == 0));
        }
        result.Sort((a, b) => Key(a.Lo).CompareTo(Key(b.Lo)));
        // Merge pieces that touch or overlap: [−1, 0] ∪ [0, 1] is [−1, 1].
        var merged = new List<EvaluatedPiece>();
        foreach (var piece in result)
        {
            if (merged.Count > 0)
            {
                var last = merged[^1];
                var gap = Key(piece.Lo) - Key(last.Hi);
                var touches = gap < -1e-12 || (Math.Abs(gap) <= 1e-12 && SameEnd(piece.Lo, last.Hi) && (piece.LoClosed || last.HiClosed));
                if (touches)
                {
                    if (SameEnd(piece.Hi, last.Hi)) merged[^1] = last with { HiClosed = last.HiClosed || piece.HiClosed };
                    else if (Key(piece.Hi) > Key(last.Hi)) merged[^1] = last with { Hi = piece.Hi, HiClosed = piece.HiClosed };
                    continue;
                }
            }
            merged.Add(piece);
        }
        return merged;
    }

    private static double Key(End e) => e.Infinite != 0 ? e.Infinite * double.PositiveInfinity : e.Value.Approx.Real;

    private static bool SameEnd(End a, End b)
    {
        if (a.Infinite != b.Infinite) return false;
        if (a.Infinite != 0) return true;
        if (a.Value.IsExact && b.Value.IsExact) return a.Value.Exact!.Add(b.Value.Exact!.Negate()).IsZero;
        return Math.Abs(a.Value.Approx.Real - b.Value.Approx.Real) <= 1e-12 * Math.Max(1, Math.Abs(a.Value.Approx.Real));
    }

    private End? EvalEnd(Bound b)
    {
        if (b.Infinite != 0) return new End(b.Infinite, default);
        try
        {
            var v = new Evaluator(budget, new Dictionary<string, Value>(), 0).Eval(b.Expr!);
            return new End(0, v);
        }
        catch (DomainException) { return null; }
    }

    // ---------- relations ----------

    private Judgement CompareRelations(RelationExpr g, RelationExpr p, int depth)
    {
        if (RealSets.TryFrom(g, out _) && RealSets.TryFrom(p, out _)) return CompareRealSets(g, p);
        var gv = AnswerShapes.TryLabelValue(g);
        var pv = AnswerShapes.TryLabelValue(p);
        Judgement? proportional = null;
        if (g.Ops is ["="] && p.Ops is ["="])
        {
            proportional = Proportional(Difference(g), Difference(p), positive: false);
            if (proportional.Value.Outcome == Outcome.Equal) return proportional.Value;
        }
        if (gv is not null && pv is not null) return Compare(gv, pv, depth);
        if (proportional is not null) return proportional.Value;
        if (g.Ops.Count == 1 && p.Ops.Count == 1 && IsInequality(g.Ops[0]) && IsInequality(p.Ops[0]))
        {
            var (dg, sg) = Oriented(g);
            var (dp, sp) = Oriented(p);
            if (sg != sp) return Judgement.Different("one inequality is strict and the other is not");
            return Proportional(dg, dp, positive: true);
        }
        if (g.Ops.SequenceEqual(p.Ops)) return Ordered(g.Operands, p.Operands, depth, "relation");
        return Judgement.Unknown("relations of different forms");
    }

    private static bool IsInequality(string op) => op is "<" or "<=" or ">" or ">=";

    private static MathExpr Difference(RelationExpr r) => new SumExpr([r.Operands[0], MathParser.Negate(r.Operands[1])]);

    /// <summary>a &lt; b as (b − a, strict): the expression that is positive.</summary>
    private static (MathExpr, bool) Oriented(RelationExpr r)
    {
        var (a, op, b) = (r.Operands[0], r.Ops[0], r.Operands[1]);
        var strictOp = op is "<" or ">";
        return op is "<" or "<="
            ? (new SumExpr([b, MathParser.Negate(a)]), strictOp)
            : (new SumExpr([a, MathParser.Negate(b)]), strictOp);
    }

    /// <summary>Whether d1 = c·d2 for one constant c ≠ 0 (c &gt; 0 when <paramref name="positive"/>): the same equation or inequality.</summary>
    private Judgement Proportional(MathExpr d1, MathExpr d2, bool positive)
    {
        if (!IsScalarTree(d1) || !IsScalarTree(d2)) return Judgement.Unknown("relation sides are not numbers");
        var symbols = AnswerShapes.FreeSymbols(d1);
        symbols.UnionWith(AnswerShapes.FreeSymbols(d2));
        if (symbols.Count == 0) return Judgement.Unknown("relations without unknowns");
        var names = symbols.Order(StringComparer.Ordinal).ToList();
        Value? ratio = null;
        var valid = 0;
        for (var k = 0; k < Points; k++)
        {
            var evaluator = new Evaluator(budget, PointValues(names, k), k);
            Value a, b;
            try
            {
                a = evaluator.Eval(d1);
                b = evaluator.Eval(d2);
            }
            catch (DomainException) { continue; }
            var bZero = IsZero(b);
            if (bZero || IsZero(a))
            {
                if (bZero != IsZero(a)) return Judgement.Different("the relations disagree at a point");
                continue;
            }
            Value r;
            try { r = evaluator.Multiply(a, evaluator.Inverse(b)); }
            catch (DomainException) { continue; }
            if (positive && !(r.Approx.Real > 0)) return Judgement.Different("the inequalities point in opposite directions");
            if (ratio is null) ratio = r;
            else
            {
                var j = CompareValues(ratio.Value, r, decimals: false);
                if (j.Outcome == Outcome.Different) return Judgement.Different("the relations are not multiples of each other");
                if (j.Outcome == Outcome.Unknown) return j;
            }
            valid++;
        }
        return valid >= 2 ? Judgement.Equal("the relations are multiples of each other") : Judgement.Unknown("too few points to compare the relations");
    }

    private static bool IsZero(Value v) => v.IsExact ? v.Exact!.IsZero : Complex.Abs(v.Approx) < 1e-12;

    // ---------- scalars ----------

    private static bool IsScalarTree(MathExpr e) => e switch
    {
        TupleExpr or SetExpr or IntervalExpr or UnionExpr or MatrixExpr or RelationExpr or AnswerListExpr or TextExpr or PlusMinusExpr => false,
        RatioExpr r => r.Parts.Count == 2 && r.Parts.All(IsScalarTree),
        _ => AnswerShapes.Children(e).All(IsScalarTree),
    };

    private Judgement CompareScalars(MathExpr g, MathExpr p)
    {
        if (!IsScalarTree(g) || !IsScalarTree(p)) return Judgement.Unknown($"cannot compare a {Kind(g)} with a {Kind(p)}");
        var decimals = AnswerShapes.ContainsDecimal(g) || AnswerShapes.ContainsDecimal(p);
        var gs = AnswerShapes.FreeSymbols(g);
        var ps = AnswerShapes.FreeSymbols(p);
        if (!strict && !gs.SetEquals(ps) && gs.Count == ps.Count)
        {
            p = Rename(p, FirstAppearance(p).Zip(FirstAppearance(g)).ToDictionary(x => x.First, x => x.Second));
            ps = AnswerShapes.FreeSymbols(p);
            if (MathRender.Canonical(g) == MathRender.Canonical(p)) return Judgement.Equal("same expression after renaming variables");
        }
        var symbols = new HashSet<string>(gs);
        symbols.UnionWith(ps);
        if (symbols.Count == 0)
        {
            Value a, b;
            var evaluator = new Evaluator(budget, new Dictionary<string, Value>(), 0);
            try
            {
                a = evaluator.Eval(g);
                b = evaluator.Eval(p);
            }
            catch (DomainException e) { return Judgement.Unknown($"cannot evaluate: {e.Message}"); }
            return CompareValues(a, b, decimals);
        }
        var names = symbols.Order(StringComparer.Ordinal).ToList();
        var equal = 0;
        Judgement? unknown = null;
        for (var k = 0; k < Points; k++)
        {
            var values = PointValues(names, k);
            var evaluator = new Evaluator(budget, values, k);
            Value a, b;
            try
            {
                a = evaluator.Eval(g);
                b = evaluator.Eval(p);
            }
            catch (DomainException) { continue; }
            var j = CompareValues(a, b, decimals);
            if (j.Outcome == Outcome.Different)
                return Judgement.Different($"differ at {string.Join(", ", names.Select(n => $"{n}={values[n]}"))}: {j.Reason}");
            if (j.Outcome == Outcome.Unknown) unknown ??= j;
            else equal++;
        }
        if (unknown is not null) return unknown.Value;
        return equal >= 3 ? Judgement.Equal($"equal at {equal} points") : Judgement.Unknown("too few points where both sides are defined");
    }

    private static List<string> FirstAppearance(MathExpr e)
    {
        var order = new List<string>();
        void Walk(MathExpr x)
        {
            if (x is SymbolExpr s && !order.Contains(s.Name)) order.Add(s.Name);
            foreach (var c in AnswerShapes.Children(x)) Walk(c);
        }
        Walk(e);
        return order;
    }

    private static MathExpr Rename(MathExpr e, Dictionary<string, string> map) => e switch
    {
        SymbolExpr s => map.TryGetValue(s.Name, out var n) ? new SymbolExpr(n) : s,
        SumExpr s => new SumExpr(s.Terms.Select(t => Rename(t, map)).ToList()),
        ProductExpr p => new ProductExpr(p.Factors.Select(t => Rename(t, map)).ToList()),
        PowerExpr p => new PowerExpr(Rename(p.Base, map), Rename(p.Exponent, map)),
        CallExpr c => new CallExpr(c.Function, c.Args.Select(t => Rename(t, map)).ToList()),
        IndexedExpr x => x with { Index = Rename(x.Index, map) },
        PercentExpr p => new PercentExpr(Rename(p.Inner, map)),
        SeriesExpr s => s with { Low = Rename(s.Low, map), High = Rename(s.High, map), Body = Rename(s.Body, map) },
        RatioExpr r => new RatioExpr(r.Parts.Select(t => Rename(t, map)).ToList()),
        _ => e,
    };

    private static readonly int[] Primes = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41];

    /// <summary>Point k: three integer points first (sums need integer bounds), then signed fractions.</summary>
    private static Dictionary<string, Value> PointValues(List<string> names, int k)
    {
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        for (var j = 0; j < names.Count; j++)
        {
            var p = Primes[(k * 5 + j * 7) % Primes.Length];
            Rational v = k switch
            {
                0 or 1 => p + k,
                2 => j % 2 == 0 ? p : -p,
                _ => new Rational((k + j) % 2 == 0 ? p : -p, Primes[(k + j) % 4] - 1 + k),
            };
            values[names[j]] = Value.Of(v);
        }
        return values;
    }

    /// <summary>Exact values are equal or not; floating ones within 1e-11 relative, and only where a
    /// difference of 1 would still show. With a decimal on either side, within 10^−precision.</summary>
    public Judgement CompareValues(Value a, Value b, bool decimals)
    {
        if (a.IsExact && b.IsExact)
        {
            var diff = a.Exact!.Add(b.Exact!.Negate());
            if (diff.IsZero) return Judgement.Equal("exactly equal");
            if (!decimals) return Judgement.Different($"{a} ≠ {b}");
            if (diff.TryRational(out var r))
            {
                var tolerance = new Rational(BigInteger.One, BigInteger.Pow(10, precision));
                return r.Abs() <= tolerance
                    ? Judgement.Equal($"equal to {precision} decimal places")
                    : Judgement.Different($"{a} ≠ {b} at {precision} decimal places");
            }
        }
        var x = a.Approx;
        var y = b.Approx;
        if (!IsFinite(x) || !IsFinite(y)) return Judgement.Unknown("values too large for floating point");
        var dist = Complex.Abs(x - y);
        var scale = Math.Max(1, Math.Max(Complex.Abs(x), Complex.Abs(y)));
        if (decimals)
        {
            var tol = Math.Pow(10, -precision);
            return dist <= tol * (1 + 1e-9) + 1e-12 * scale
                ? Judgement.Equal($"equal to {precision} decimal places")
                : Judgement.Different($"{x.Real:G12} ≠ {y.Real:G12} at {precision} decimal places");
        }
        if (dist <= 1e-11 * scale)
            return scale <= 1e9 ? Judgement.Equal("equal to 11 significant digits") : Judgement.Unknown("too large to compare in floating point");
        if (dist > 1e-7 * scale) return Judgement.Different($"{Show(x)} ≠ {Show(y)}");
        return Judgement.Unknown("nearly equal in floating point");
    }

    private static string Show(Complex c) => c.Imaginary == 0 ? c.Real.ToString("G12") : c.ToString();

    private static bool IsFinite(Complex c) => double.IsFinite(c.Real) && double.IsFinite(c.Imaginary);
}
