using System.Numerics;

namespace Qed.Answers;

/// <summary>A number during evaluation: exact when every step so far was exact, otherwise a complex double.</summary>
internal readonly struct Value
{
    public readonly ExactValue? Exact;
    private readonly Complex _approx;

    private Value(ExactValue? exact, Complex approx)
    {
        Exact = exact;
        _approx = approx;
    }

    public static Value Of(ExactValue exact) => new(exact, default);
    public static Value Of(Rational r) => new(ExactValue.FromRational(r), default);
    public static Value Approximate(Complex c) => new(null, c);

    public bool IsExact => Exact is not null;
    public Complex Approx => Exact is not null ? Exact.Approx() : _approx;

    public bool TryRational(out Rational r)
    {
        if (Exact is not null) return Exact.TryRational(out r);
        r = default;
        return false;
    }

    public override string ToString() => Exact?.ToString() ?? $"≈{_approx.Real:G10}{(_approx.Imaginary != 0 ? $"{_approx.Imaginary:+G10;-G10}i" : "")}";
}

/// <summary>
/// Evaluates a scalar expression at one assignment of its free symbols. Exact where the value stays in
/// <see cref="ExactValue"/>; floating point otherwise. Unknown functions (f(x), F_n) are random functions:
/// a hash of the point, the name and the exact argument, so both answers see the same function.
/// </summary>
internal sealed class Evaluator(AnswerBudget budget, Dictionary<string, Value> variables, int pointSeed)
{
    private const int MaxFactorial = 3000;
    private const int MaxSeriesTerms = 2000;

    public Value Eval(MathExpr e, int depth = 0)
    {
        budget.Tick();
        if (depth > 300) throw new AnswerLimitException("expression nested too deeply");
        var d = depth + 1;
        switch (e)
        {
            case NumberExpr n: return Value.Of(n.Value);
            case SymbolExpr s:
                return variables.TryGetValue(s.Name, out var v) ? v : throw new DomainException($"no value for {s.Name}");
            case ConstantExpr c:
                return c.Kind switch
                {
                    ConstantKind.Pi => Value.Of(ExactValue.FromMonomial(new Monomial(BigInteger.One, false, 1, 0), Rational.One)),
                    ConstantKind.E => Value.Of(ExactValue.FromMonomial(new Monomial(BigInteger.One, false, 0, 1), Rational.One)),
                    ConstantKind.I => Value.Of(ExactValue.FromMonomial(new Monomial(BigInteger.One, true, 0, 0), Rational.One)),
                    _ => throw new DomainException("infinity is not a number"),
                };
            case SumExpr s:
            {
                var acc = Eval(s.Terms[0], d);
                for (var k = 1; k < s.Terms.Count; k++) acc = Add(acc, Eval(s.Terms[k], d));
                return acc;
            }
            case ProductExpr p:
            {
                var acc = Eval(p.Factors[0], d);
                for (var k = 1; k < p.Factors.Count; k++) acc = Multiply(acc, Eval(p.Factors[k], d));
                return acc;
            }
            case PowerExpr p: return Power(Eval(p.Base, d), Eval(p.Exponent, d));
            case PercentExpr p: return Multiply(Eval(p.Inner, d), Value.Of(new Rational(1, 100)));
            case DegreesExpr g: return Eval(g.Inner, d);
            case CallExpr c: return Call(c, d);
            case IndexedExpr x: return Oracle(x.Name, [Eval(x.Index, d)]);
            case SeriesExpr s: return Series(s, d);
            case RatioExpr { Parts.Count: 2 } r: return Multiply(Eval(r.Parts[0], d), Inverse(Eval(r.Parts[1], d)));
            default: throw new DomainException($"not a number: {MathRender.Display(e)}");
        }
    }

    public Value Add(Value a, Value b) =>
        a.IsExact && b.IsExact ? Value.Of(a.Exact!.Add(b.Exact!)) : Value.Approximate(a.Approx + b.Approx);

    public Value Negate(Value a) => a.IsExact ? Value.Of(a.Exact!.Negate()) : Value.Approximate(-a.Approx);

    public Value Multiply(Value a, Value b)
    {
        if (a.IsExact && b.IsExact)
        {
            try { return Value.Of(a.Exact!.Multiply(b.Exact!, budget)); }
            catch (AnswerLimitException) when (a.Exact!.Terms.Length * b.Exact!.Terms.Length > 4096) { }
        }
        return Value.Approximate(a.Approx * b.Approx);
    }

    public Value Inverse(Value a)
    {
        if (a.IsExact)
        {
            var inv = a.Exact!.Inverse();
            if (inv is not null) return Value.Of(inv);
        }
        var c = a.Approx;
        if (c == Complex.Zero) throw new DomainException("division by zero");
        return Value.Approximate(1 / c);
    }

    private Value Power(Value b, Value x)
    {
        if (x.TryRational(out var q))
        {
            if (q.IsInteger)
            {
                if (b.IsExact && b.Exact!.IsZero && q.Sign < 0) throw new DomainException("division by zero");
                if (b.IsExact && BigInteger.Abs(q.Num) <= 1_000_000)
                {
                    if (b.Exact!.Terms.Length == 1 || BigInteger.Abs(q.Num) <= 256)
                    {
                        if (q.Sign >= 0 || b.Exact.Inverse() is not null) return Value.Of(b.Exact.Pow((int)q.Num, budget));
                    }
                }
                if (b.IsExact && BigInteger.Abs(q.Num) > 1_000_000)
                {
                    if (b.TryRational(out var br) && (br.Abs() == Rational.One || br.IsZero))
                        return Value.Of(br.IsZero ? Rational.Zero : (br.Sign > 0 || q.Num.IsEven ? Rational.One : Rational.MinusOne));
                    throw new AnswerLimitException("exponent too large for exact arithmetic");
                }
            }
            else if (b.IsExact && BigInteger.Abs(q.Den) <= 64 && BigInteger.Abs(q.Num) <= 10_000)
            {
                var root = Root(b.Exact!, (int)q.Den);
                if (root is not null) return Power(Value.Of(root), Value.Of(Rational.FromInteger(q.Num)));
                // Real odd roots of negative reals keep their sign: ∛(−8) = −2, x^(2/3) = (∛x)².
                if (!q.Den.IsEven && b.Exact!.IsReal && b.Approx.Real < 0)
                {
                    var r = -Math.Pow(-b.Approx.Real, 1.0 / (double)q.Den);
                    return Value.Approximate(Complex.Pow(new Complex(r, 0), (double)q.Num));
                }
            }
        }
        var bc = b.Approx;
        var xc = x.Approx;
        if (bc == Complex.Zero)
        {
            if (xc.Real > 0) return Value.Of(Rational.Zero);
            throw new DomainException("zero to a non-positive power");
        }
        if (bc.Imaginary == 0 && xc.Imaginary == 0 && bc.Real > 0) return Value.Approximate(Math.Pow(bc.Real, xc.Real));
        return Value.Approximate(Complex.Pow(bc, xc));
    }

    /// <summary>The principal k-th root when it is exact: rational perfect powers and square roots.</summary>
    private static ExactValue? Root(ExactValue v, int k)
    {
        if (k == 2) return v.Sqrt();
        if (!v.TryRational(out var r)) return null;
        if (r.Sign < 0)
        {
            if (k % 2 == 0) return null;
            var pos = Root(ExactValue.FromRational(-r), k);
            return pos?.Negate();
        }
        var n = SquareFree.IntegerRoot(r.Num, k);
        var d = SquareFree.IntegerRoot(r.Den, k);
        if (BigInteger.Pow(n, k) != r.Num || BigInteger.Pow(d, k) != r.Den) return null;
        return ExactValue.FromRational(new Rational(n, d));
    }

    private Value Call(CallExpr c, int d)
    {
        var f = c.Function;
        if (f.StartsWith("apply:", StringComparison.Ordinal)) return Oracle(f, c.Args.Select(a => Eval(a, d)).ToList());
        switch (f)
        {
            case "abs":
            {
                var v = Eval(c.Args[0], d);
                if (v.IsExact && v.Exact!.IsReal)
                {
                    if (v.TryRational(out var r)) return Value.Of(r.Abs());
                    var sign = Math.Sign(v.Approx.Real);
                    if (sign != 0) return sign > 0 ? v : Negate(v);
                }
                return Value.Approximate(Complex.Abs(v.Approx));
            }
            case "floor" or "ceil":
            {
                var v = Eval(c.Args[0], d);
                if (v.TryRational(out var r)) return Value.Of(Rational.FromInteger(f == "floor" ? r.Floor() : r.Ceiling()));
                var x = v.Approx.Real;
                var rounded = f == "floor" ? Math.Floor(x) : Math.Ceiling(x);
                if (Math.Abs(x - Math.Round(x)) < 1e-9 || Math.Abs(x) > 1e15) throw new DomainException("floor too close to an integer to decide");
                return Value.Of(Rational.FromInteger(new BigInteger(rounded)));
            }
            case "factorial":
            {
                var n = Integer(Eval(c.Args[0], d), "factorial");
                if (n < 0) throw new DomainException("factorial of a negative number");
                if (n > MaxFactorial) throw new AnswerLimitException($"factorial of more than {MaxFactorial}");
                BigInteger acc = 1;
                for (var k = 2; k <= (int)n; k++) { acc *= k; budget.Tick(); }
                return Value.Of(Rational.FromInteger(acc));
            }
            case "binom":
            {
                var n = Integer(Eval(c.Args[0], d), "binomial");
                var k = Integer(Eval(c.Args[1], d), "binomial");
                if (k < 0 || (n >= 0 && k > n)) return Value.Of(Rational.Zero);
                if (k > MaxFactorial) k = n - k;
                if (k > MaxFactorial) throw new AnswerLimitException("binomial coefficient too large");
                Rational acc = Rational.One;
                for (var j = 0; j < (int)k; j++) { acc = acc * Rational.FromInteger(n - j) / Rational.FromInteger(j + 1); budget.Tick(); }
                return Value.Of(acc);
            }
            case "gcd" or "lcm":
            {
                var values = c.Args.Select(a => Integer(Eval(a, d), f)).ToList();
                var acc = values[0];
                foreach (var x in values.Skip(1))
                    acc = f == "gcd" ? BigInteger.GreatestCommonDivisor(acc, x) : (acc.IsZero || x.IsZero ? 0 : BigInteger.Abs(acc * x) / BigInteger.GreatestCommonDivisor(acc, x));
                return Value.Of(Rational.FromInteger(BigInteger.Abs(acc)));
            }
            case "min" or "max":
            {
                var values = c.Args.Select(a => Eval(a, d)).ToList();
                var best = values[0];
                foreach (var x in values.Skip(1))
                {
                    var cmp = x.Approx.Real.CompareTo(best.Approx.Real);
                    if (x.TryRational(out var xr) && best.TryRational(out var br)) cmp = xr.CompareTo(br);
                    if (f == "max" ? cmp > 0 : cmp < 0) best = x;
                }
                return best;
            }
            case "log": return Log(c, d);
            case "sin" or "cos" or "tan" or "cot" or "sec" or "csc": return Trig(f, Eval(c.Args[0], d));
            default:
            {
                var x = Eval(c.Args[0], d).Approx;
                Complex r = f switch
                {
                    "arcsin" => Complex.Asin(x), "arccos" => Complex.Acos(x), "arctan" => Complex.Atan(x),
                    "sinh" => Complex.Sinh(x), "cosh" => Complex.Cosh(x), "tanh" => Complex.Tanh(x),
                    _ => throw new DomainException($"unknown function {f}"),
                };
                return Value.Approximate(r);
            }
        }
    }

    private static BigInteger Integer(Value v, string what)
    {
        if (v.TryRational(out var r) && r.IsInteger) return r.Num;
        throw new DomainException($"{what} needs an integer");
    }

    private Value Log(CallExpr c, int d)
    {
        var x = Eval(c.Args[0], d);
        Value? b = c.Args.Count > 1 ? Eval(c.Args[1], d) : null;
        if (x.IsExact && x.Exact!.IsZero) throw new DomainException("log of zero");
        if (b is null && x.IsExact && x.Exact!.Terms.Length == 1)
        {
            var (m, coef) = x.Exact.Terms[0];
            if (coef == Rational.One && m.Radicand.IsOne && !m.I && m.Pi == 0) return Value.Of(Rational.FromInteger(m.E));
        }
        if (b is { } bv && x.TryRational(out var xr) && bv.TryRational(out var br) && xr.Sign > 0 && br.Sign > 0 && br != Rational.One)
        {
            var exact = ExactLog(xr, br);
            if (exact is not null) return Value.Of(exact.Value);
        }
        var lx = Complex.Log(x.Approx);
        return b is null ? Value.Approximate(lx) : Value.Approximate(lx / Complex.Log(b.Value.Approx));
    }

    /// <summary>log_b x when x = b^k for an integer k (so log_2 8 stays exactly 3).</summary>
    private static Rational? ExactLog(Rational x, Rational b)
    {
        var estimate = Math.Log(x.ToDouble()) / Math.Log(b.ToDouble());
        if (double.IsNaN(estimate) || double.IsInfinity(estimate) || Math.Abs(estimate) > 10_000) return null;
        var k = (int)Math.Round(estimate);
        return b.Pow(k) == x ? Rational.FromInteger(k) : null;
    }

    private Value Trig(string f, Value x)
    {
        // Exact values at rational multiples of π with denominator 1, 2, 3, 4 or 6.
        if (x.IsExact)
        {
            Rational k = Rational.Zero;
            var ok = x.Exact!.IsZero;
            if (!ok && x.Exact.Terms.Length == 1)
            {
                var (m, c) = x.Exact.Terms[0];
                if (m.Radicand.IsOne && !m.I && m.Pi == 1 && m.E == 0) { k = c; ok = true; }
            }
            if (ok && (k.Den == 1 || k.Den == 2 || k.Den == 3 || k.Den == 4 || k.Den == 6))
            {
                var sin = ExactSin(k);
                var cos = ExactSin(k + new Rational(1, 2));
                switch (f)
                {
                    case "sin": return Value.Of(sin);
                    case "cos": return Value.Of(cos);
                    case "tan": return cos.IsZero ? throw new DomainException("tan undefined") : Divide(sin, cos);
                    case "cot": return sin.IsZero ? throw new DomainException("cot undefined") : Divide(cos, sin);
                    case "sec": return cos.IsZero ? throw new DomainException("sec undefined") : Divide(ExactValue.One, cos);
                    case "csc": return sin.IsZero ? throw new DomainException("csc undefined") : Divide(ExactValue.One, sin);
                }
            }
        }
        var z = x.Approx;
        Complex r = f switch
        {
            "sin" => Complex.Sin(z), "cos" => Complex.Cos(z), "tan" => Complex.Tan(z),
            "cot" => 1 / Complex.Tan(z), "sec" => 1 / Complex.Cos(z), _ => 1 / Complex.Sin(z),
        };
        return Value.Approximate(r);
    }

    private Value Divide(ExactValue a, ExactValue b)
    {
        var inv = b.Inverse();
        return inv is null ? Value.Approximate(a.Approx() / b.Approx()) : Value.Of(a.Multiply(inv, budget));
    }

    /// <summary>sin(kπ) for k with denominator dividing 12.</summary>
    private static ExactValue ExactSin(Rational k)
    {
        // Reduce to twelfths of π in [0, 24).
        var twelfths = (int)((k * 12).Floor() % 24);
        if (twelfths < 0) twelfths += 24;
        var negative = twelfths >= 12;
        var t = twelfths % 12; // sin(π + y) = −sin y
        if (t > 6) t = 12 - t; // sin(π − y) = sin y
        ExactValue v = t switch
        {
            0 => ExactValue.Zero,
            2 => ExactValue.FromRational(new Rational(1, 2)),
            3 => ExactValue.FromMonomial(new Monomial(2, false, 0, 0), new Rational(1, 2)),
            4 => ExactValue.FromMonomial(new Monomial(3, false, 0, 0), new Rational(1, 2)),
            6 => ExactValue.One,
            _ => throw new DomainException("no exact sine"),
        };
        return negative ? v.Negate() : v;
    }

    private Value Series(SeriesExpr s, int d)
    {
        var lo = Integer(Eval(s.Low, d), "sum bound");
        var hi = Integer(Eval(s.High, d), "sum bound");
        if (hi - lo > MaxSeriesTerms) throw new AnswerLimitException($"sum of more than {MaxSeriesTerms} terms");
        variables.TryGetValue(s.Variable, out var saved);
        var had = variables.ContainsKey(s.Variable);
        var acc = Value.Of(s.IsProduct ? Rational.One : Rational.Zero);
        try
        {
            for (var k = lo; k <= hi; k++)
            {
                variables[s.Variable] = Value.Of(Rational.FromInteger(k));
                var term = Eval(s.Body, d);
                acc = s.IsProduct ? Multiply(acc, term) : Add(acc, term);
            }
        }
        finally
        {
            if (had) variables[s.Variable] = saved; else variables.Remove(s.Variable);
        }
        return acc;
    }

    private Value Oracle(string name, IReadOnlyList<Value> args)
    {
        var key = new System.Text.StringBuilder();
        key.Append(pointSeed).Append('|').Append(name);
        foreach (var a in args)
            key.Append('|').Append(a.IsExact ? a.Exact!.ToString() : $"{Math.Round(a.Approx.Real, 9)}:{Math.Round(a.Approx.Imaginary, 9)}");
        // FNV-1a: stable across processes, so a verdict never depends on the run.
        uint h = 2166136261;
        foreach (var ch in key.ToString()) { h ^= ch; h *= 16777619; }
        return Value.Of(new Rational((int)(h % 1999) - 999, (int)(h / 1999 % 97) + 1));
    }
}
