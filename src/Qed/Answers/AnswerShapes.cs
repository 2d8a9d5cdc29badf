namespace Qed.Answers;

/// <summary>
/// Decisions about what kind of answer an expression is: lists built from separators, labels ("x = 5",
/// "f(x) = 2x + c", "(p, q) = (3, 2)"), unit words to drop, ± expanded into alternatives, matrix products.
/// All pure functions over <see cref="MathExpr"/>.
/// </summary>
internal static class AnswerShapes
{
    public static MathExpr FromGroups(List<List<MathExpr>> groups)
    {
        groups.RemoveAll(g => g.Count == 0);
        if (groups.Count == 0) throw new ParseException("empty answer");
        if (groups.Count == 1) return groups[0].Count == 1 ? groups[0][0] : new AnswerListExpr(groups[0]);
        var items = new List<MathExpr>();
        foreach (var g in groups)
        {
            if (g.Count == 1) { items.Add(g[0]); continue; }
            // "p=5, q=2; p=7, q=2": each group names the coordinates of one solution.
            var labels = g.Select(x => x is RelationExpr r ? LabelOf(r) : null).ToList();
            if (labels.All(l => l is not null) && labels.Distinct().Count() == labels.Count)
                items.Add(new TupleExpr(g.Select(x => TryLabelValue((RelationExpr)x)!).ToList()));
            else items.Add(new TupleExpr(g));
        }
        return new AnswerListExpr(items);
    }

    /// <summary>Whether an expression is only a name for the answer: x, x_1, F_n, f(x), |AB|, A:B, (p, q), AB.</summary>
    public static bool IsNameLike(MathExpr e) => e switch
    {
        SymbolExpr => true,
        IndexedExpr => true,
        CallExpr { Function: var f } c when f.StartsWith("apply:", StringComparison.Ordinal) =>
            c.Args.All(a => a is SymbolExpr or NumberExpr or ConstantExpr),
        CallExpr { Function: "abs" } c => IsNameLike(c.Args[0]),
        // AB, \frac{AB}{CD}: names over names. A bare 1/x is not a name ("\frac{1}{x} = 2" is a condition on x).
        ProductExpr p => p.Factors.All(f => f is SymbolExpr or IndexedExpr || f is ProductExpr && IsNameLike(f)
                                            || f is PowerExpr { Exponent: NumberExpr { Value: var k } } pw && k == Rational.MinusOne && IsNameLike(pw.Base)),
        TextExpr t => t.Text.Length is > 0 and <= 40 && t.Text.All(c => char.IsLetter(c) || c == ' '),
        RatioExpr r => r.Parts.All(IsNameLike),
        TupleExpr t => t.Items.All(IsNameLike),
        _ => false,
    };

    public static string? LabelOf(RelationExpr r) =>
        r.Ops is ["in"] && IsNameLike(r.Operands[0]) ? MathRender.Canonical(r.Operands[0]) :
        r.Ops.All(o => o is "=" or "~=") && IsNameLike(r.Operands[0]) ? MathRender.Canonical(r.Operands[0]) : null;

    /// <summary>The value a labelled equation or a computation chain states: the last operand after '=',
    /// or after '≈' when there is no '='. Null when the relation is a real condition (7 = 11a + c).</summary>
    public static MathExpr? TryLabelValue(RelationExpr r)
    {
        // "x ∈ {1, 2}", "x ∈ [0, 1)": the set is the answer.
        if (r.Ops is ["in"] && IsNameLike(r.Operands[0])) return r.Operands[1];
        if (!r.Ops.All(o => o is "=" or "~=")) return null;
        var named = IsNameLike(r.Operands[0]);
        if (!named && r.Operands.Any(o => FreeSymbols(o).Count > 0)) return null;
        var lastEq = -1;
        for (var k = 0; k < r.Ops.Count; k++) if (r.Ops[k] == "=") lastEq = k;
        return lastEq >= 0 ? r.Operands[lastEq + 1] : r.Operands[^1];
    }

    /// <summary>The final side of an equality chain that shows a computation: in a prediction, "A + B = [[1, 2], [3, 4]]",
    /// "2x = 6 = 6.0" state their final side (as Math-Verify reads a predicted equation against a value); in a reference
    /// only a sum or product of plain names ("m + n = 41") is a label. The final side must be a nonzero constant, a
    /// tuple or a matrix of constants: "a^2 + b = 0" stays a condition. Null otherwise.</summary>
    public static MathExpr? TryFinalValue(RelationExpr r, bool reference)
    {
        if (r.Ops.Count == 0 || !r.Ops.All(o => o is "=")) return null;
        var last = r.Operands[^1];
        if (FreeSymbols(last).Count > 0 || ContainsText(last) || last is NumberExpr { Value.IsZero: true }) return null;
        var earlier = r.Operands.Take(r.Operands.Count - 1).ToList();
        if (earlier.Any(o => o is TupleExpr or SetExpr or IntervalExpr or RelationExpr or AnswerListExpr)) return null;
        if (reference && !earlier.All(o => o is SumExpr { Terms: var t } ? t.All(x => x is SymbolExpr) : o is ProductExpr { Factors: var f } && f.All(x => x is SymbolExpr)))
            return null;
        // In a prediction the earlier sides must name a quantity or compute one (A + B, \det(A), 2 + 3); a side like
        // x^2 or 1/x makes the chain a condition on x ("1/x = 2" does not answer 2).
        if (!reference && !earlier.All(IsQuantity)) return null;
        return last;
    }

    private static bool IsQuantity(MathExpr e) => FreeSymbols(e).Count == 0 || IsNameLike(e) || e switch
    {
        SumExpr s => s.Terms.All(t => t is NumberExpr || IsNameLike(t) || t is ProductExpr { Factors: [NumberExpr, var x] } && IsNameLike(x)),
        ProductExpr p => p.Factors.All(f => f is NumberExpr || IsNameLike(f)),
        CallExpr c => c.Args.All(a => IsNameLike(a) || FreeSymbols(a).Count == 0),
        _ => false,
    };

    private static bool ContainsText(MathExpr e) => e is TextExpr || Children(e).Any(ContainsText);

    public static HashSet<string> FreeSymbols(MathExpr e)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        CollectSymbols(e, set, null, 0);
        return set;
    }

    private static void CollectSymbols(MathExpr e, HashSet<string> set, HashSet<string>? bound, int depth)
    {
        if (depth > 300) return;
        foreach (var child in Children(e))
            CollectSymbols(child, set, e is SeriesExpr s ? new HashSet<string>(bound ?? []) { s.Variable } : bound, depth + 1);
        if (e is SymbolExpr sym && (bound is null || !bound.Contains(sym.Name))) set.Add(sym.Name);
    }

    public static bool ContainsDecimal(MathExpr e) =>
        e is NumberExpr { IsDecimal: true } || Children(e).Any(ContainsDecimal);

    public static IEnumerable<MathExpr> Children(MathExpr e) => e switch
    {
        SumExpr s => s.Terms,
        ProductExpr p => p.Factors,
        PowerExpr p => [p.Base, p.Exponent],
        CallExpr c => c.Args,
        IndexedExpr x => [x.Index],
        PlusMinusExpr pm => [pm.Right],
        TupleExpr t => t.Items,
        SetExpr s => s.Items,
        IntervalExpr i => [i.Low, i.High],
        UnionExpr u => u.Parts,
        MatrixExpr m => m.Rows.SelectMany(r => r),
        RelationExpr r => r.Operands,
        AnswerListExpr l => l.Items,
        PercentExpr p => [p.Inner],
        DegreesExpr g => [g.Inner],
        SeriesExpr s => [s.Low, s.High, s.Body],
        RatioExpr r => r.Parts,
        _ => [],
    };

    /// <summary>Drops unit words, expands ±, multiplies matrices and flattens one-item lists.</summary>
    public static MathExpr Normalize(MathExpr e, AnswerBudget budget)
    {
        var cleaned = Clean(e, budget, 0);
        return cleaned switch
        {
            AnswerListExpr l => Single(new AnswerListExpr(l.Items.SelectMany(i => Alternatives(i, budget)).ToList())),
            SetExpr s => new SetExpr(s.Items.SelectMany(i => Alternatives(i, budget)).ToList()),
            _ => Single(new AnswerListExpr(Alternatives(cleaned, budget))),
        };
    }

    private static MathExpr Single(AnswerListExpr l) => l.Items.Count == 1 ? l.Items[0] : l;

    private static MathExpr Clean(MathExpr e, AnswerBudget budget, int depth)
    {
        budget.Tick();
        if (depth > 300) throw new AnswerLimitException("expression nested too deeply");
        var d = depth + 1;
        switch (e)
        {
            case ProductExpr p:
            {
                var factors = p.Factors.Select(f => Clean(f, budget, d)).ToList();
                // "125 miles", "1/3 \text{meters}": words beside a quantity are units.
                if (factors.Any(f => f is not TextExpr)) factors.RemoveAll(f => f is TextExpr);
                if (factors.Count(f => f is MatrixExpr) >= 1 && factors.All(f => f is MatrixExpr || IsScalar(f)))
                    return MultiplyMatrices(factors);
                return factors.Count == 1 ? factors[0] : new ProductExpr(factors);
            }
            case SumExpr s: return new SumExpr(s.Terms.Select(t => Clean(t, budget, d)).ToList());
            case PowerExpr p: return new PowerExpr(Clean(p.Base, budget, d), Clean(p.Exponent, budget, d));
            case CallExpr c: return new CallExpr(c.Function, c.Args.Select(a => Clean(a, budget, d)).ToList());
            case TupleExpr t: return new TupleExpr(t.Items.Select(x => Clean(x, budget, d)).ToList());
            case SetExpr s: return new SetExpr(s.Items.Select(x => Clean(x, budget, d)).ToList());
            case AnswerListExpr l:
            {
                var items = new List<MathExpr>();
                foreach (var x in l.Items)
                {
                    var c = Clean(x, budget, d);
                    if (c is AnswerListExpr inner) items.AddRange(inner.Items); else items.Add(c);
                }
                return new AnswerListExpr(items);
            }
            case IntervalExpr i: return i with { Low = Clean(i.Low, budget, d), High = Clean(i.High, budget, d) };
            case UnionExpr u: return new UnionExpr(u.Parts.Select(x => Clean(x, budget, d)).ToList());
            case RelationExpr r: return new RelationExpr(r.Operands.Select(x => Clean(x, budget, d)).ToList(), r.Ops);
            case MatrixExpr m: return new MatrixExpr(m.Rows.Select(r => (IReadOnlyList<MathExpr>)r.Select(x => Clean(x, budget, d)).ToList()).ToList());
            case PercentExpr p: return new PercentExpr(Clean(p.Inner, budget, d));
            case DegreesExpr g: return new DegreesExpr(Clean(g.Inner, budget, d));
            case RatioExpr r: return new RatioExpr(r.Parts.Select(x => Clean(x, budget, d)).ToList());
            case PlusMinusExpr pm: return pm with { Right = Clean(pm.Right, budget, d) };
            case TextExpr t: return new TextExpr(t.Text);
            default: return e;
        }
    }

    private static bool IsScalar(MathExpr e) => e is NumberExpr or SymbolExpr or ConstantExpr or PowerExpr or CallExpr or SumExpr;

    private static MathExpr MultiplyMatrices(List<MathExpr> factors)
    {
        MathExpr? scalar = null;
        MatrixExpr? acc = null;
        foreach (var f in factors)
        {
            if (f is not MatrixExpr m) { scalar = scalar is null ? f : new ProductExpr([scalar, f]); continue; }
            if (acc is null) { acc = m; continue; }
            var n = acc.Rows[0].Count;
            if (m.Rows.Count != n) throw new ParseException("matrix sizes do not match for a product");
            var rows = new List<IReadOnlyList<MathExpr>>();
            for (var r = 0; r < acc.Rows.Count; r++)
            {
                var row = new List<MathExpr>();
                for (var c = 0; c < m.Rows[0].Count; c++)
                    row.Add(new SumExpr(Enumerable.Range(0, n).Select(k => (MathExpr)new ProductExpr([acc.Rows[r][k], m.Rows[k][c]])).ToList()));
                rows.Add(row);
            }
            acc = new MatrixExpr(rows);
        }
        if (scalar is null) return acc!;
        return new MatrixExpr(acc!.Rows.Select(r => (IReadOnlyList<MathExpr>)r.Select(x => (MathExpr)new ProductExpr([scalar, x])).ToList()).ToList());
    }

    /// <summary>The alternatives an expression with ± stands for; every ± in one item shares its sign.</summary>
    public static List<MathExpr> Alternatives(MathExpr e, AnswerBudget budget)
    {
        if (!ContainsPlusMinus(e)) return [e];
        return [Choose(e, plus: true, budget), Choose(e, plus: false, budget)];
    }

    private static bool ContainsPlusMinus(MathExpr e) => e is PlusMinusExpr || Children(e).Any(ContainsPlusMinus);

    private static MathExpr Choose(MathExpr e, bool plus, AnswerBudget budget)
    {
        budget.Tick();
        MathExpr C(MathExpr x) => Choose(x, plus, budget);
        List<MathExpr> L(IEnumerable<MathExpr> xs) => xs.Select(C).ToList();
        return e switch
        {
            PlusMinusExpr pm => plus != pm.Minus ? C(pm.Right) : MathParser.Negate(C(pm.Right)),
            SumExpr s => new SumExpr(L(s.Terms)),
            ProductExpr p => new ProductExpr(L(p.Factors)),
            PowerExpr p => new PowerExpr(C(p.Base), C(p.Exponent)),
            CallExpr c => new CallExpr(c.Function, L(c.Args)),
            TupleExpr t => new TupleExpr(L(t.Items)),
            SetExpr s => new SetExpr(L(s.Items)),
            IntervalExpr i => i with { Low = C(i.Low), High = C(i.High) },
            RelationExpr r => new RelationExpr(L(r.Operands), r.Ops),
            PercentExpr p => new PercentExpr(C(p.Inner)),
            DegreesExpr g => new DegreesExpr(C(g.Inner)),
            RatioExpr r => new RatioExpr(L(r.Parts)),
            AnswerListExpr l => new AnswerListExpr(L(l.Items)),
            MatrixExpr m => new MatrixExpr(m.Rows.Select(r => (IReadOnlyList<MathExpr>)L(r)).ToList()),
            _ => e,
        };
    }
}
