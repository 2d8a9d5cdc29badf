using System.Numerics;
using System.Text;

namespace Qed.Answers;

/// <summary>One monomial √r · i^(0|1) · π^p · e^q, with r a square-free positive integer (1 when absent).</summary>
internal readonly record struct Monomial(BigInteger Radicand, bool I, int Pi, int E) : IComparable<Monomial>
{
    public static readonly Monomial One = new(BigInteger.One, false, 0, 0);

    public int CompareTo(Monomial other)
    {
        var c = Radicand.CompareTo(other.Radicand);
        if (c != 0) return c;
        c = I.CompareTo(other.I);
        if (c != 0) return c;
        c = Pi.CompareTo(other.Pi);
        return c != 0 ? c : E.CompareTo(other.E);
    }
}

/// <summary>
/// An exact number: a finite sum of rational multiples of monomials in √(square-free), i, π and e.
/// Distinct square roots of square-free integers are linearly independent over the rationals, so two
/// values are equal exactly when their term lists are equal (π and e are treated as independent
/// transcendentals). Division works when the divisor has one term; otherwise the caller falls back to floating point.
/// </summary>
internal sealed class ExactValue
{
    public static readonly ExactValue Zero = new([]);
    public static readonly ExactValue One = FromRational(Rational.One);

    /// <summary>Sorted by monomial; no zero coefficients.</summary>
    public readonly (Monomial M, Rational C)[] Terms;

    private ExactValue((Monomial, Rational)[] terms) => Terms = terms;

    public static ExactValue FromRational(Rational r) => r.IsZero ? Zero : new([(Monomial.One, r)]);
    public static ExactValue FromMonomial(Monomial m, Rational c) => c.IsZero ? Zero : new([(m, c)]);

    public bool IsZero => Terms.Length == 0;

    public bool TryRational(out Rational r)
    {
        if (Terms.Length == 0) { r = Rational.Zero; return true; }
        if (Terms.Length == 1 && Terms[0].M == Monomial.One) { r = Terms[0].C; return true; }
        r = default;
        return false;
    }

    public bool IsReal => Terms.All(t => !t.M.I);

    public long Bits
    {
        get
        {
            long b = 0;
            foreach (var t in Terms) b += t.C.Bits + t.M.Radicand.GetBitLength();
            return b;
        }
    }

    public ExactValue Add(ExactValue other)
    {
        if (IsZero) return other;
        if (other.IsZero) return this;
        if (Terms.Length == 1 && other.Terms.Length == 1 && Terms[0].M == other.Terms[0].M)
            return FromMonomial(Terms[0].M, Terms[0].C + other.Terms[0].C);
        var result = new List<(Monomial, Rational)>(Terms.Length + other.Terms.Length);
        int i = 0, j = 0;
        while (i < Terms.Length || j < other.Terms.Length)
        {
            if (j >= other.Terms.Length || (i < Terms.Length && Terms[i].M.CompareTo(other.Terms[j].M) < 0)) result.Add(Terms[i++]);
            else if (i >= Terms.Length || Terms[i].M.CompareTo(other.Terms[j].M) > 0) result.Add(other.Terms[j++]);
            else
            {
                var c = Terms[i].C + other.Terms[j].C;
                if (!c.IsZero) result.Add((Terms[i].M, c));
                i++;
                j++;
            }
        }
        return new ExactValue(result.ToArray());
    }

    public ExactValue Negate() => new(Terms.Select(t => (t.M, -t.C)).ToArray());

    public ExactValue Multiply(ExactValue other, AnswerBudget budget)
    {
        if (IsZero || other.IsZero) return Zero;
        if (Terms.Length == 1 && other.Terms.Length == 1)
        {
            var (m, factor) = MultiplyMonomials(Terms[0].M, other.Terms[0].M);
            var c = Terms[0].C * other.Terms[0].C * factor;
            budget.CheckBits(c.Bits);
            return FromMonomial(m, c);
        }
        if (Terms.Length * other.Terms.Length > 4096) throw new AnswerLimitException("too many terms in an exact product");
        var acc = new Dictionary<Monomial, Rational>();
        foreach (var (m1, c1) in Terms)
            foreach (var (m2, c2) in other.Terms)
            {
                budget.Tick();
                var (m, factor) = MultiplyMonomials(m1, m2);
                var c = c1 * c2 * factor;
                budget.CheckBits(c.Bits);
                acc[m] = acc.TryGetValue(m, out var prev) ? prev + c : c;
            }
        return FromDictionary(acc);
    }

    private static ExactValue FromDictionary(Dictionary<Monomial, Rational> acc) =>
        new(acc.Where(kv => !kv.Value.IsZero).OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)).ToArray());

    private static (Monomial, Rational) MultiplyMonomials(Monomial a, Monomial b)
    {
        Rational factor = Rational.One;
        BigInteger radicand;
        if (a.Radicand.IsOne) radicand = b.Radicand;
        else if (b.Radicand.IsOne) radicand = a.Radicand;
        else
        {
            var g = BigInteger.GreatestCommonDivisor(a.Radicand, b.Radicand);
            factor = Rational.FromInteger(g);
            radicand = a.Radicand / g * (b.Radicand / g);
        }
        var i = a.I ^ b.I;
        if (a.I && b.I) factor = -factor;
        return (new Monomial(radicand, i, a.Pi + b.Pi, a.E + b.E), factor);
    }

    /// <summary>1/x for a single-term value; null when x has several terms (no exact inverse kept here).</summary>
    public ExactValue? Inverse()
    {
        if (IsZero) throw new DomainException("division by zero");
        if (Terms.Length != 1) return null;
        var (m, c) = Terms[0];
        var coef = (c * Rational.FromInteger(m.Radicand)).Inverse();
        if (m.I) coef = -coef;
        return FromMonomial(new Monomial(m.Radicand, m.I, -m.Pi, -m.E), coef);
    }

    public ExactValue Pow(int n, AnswerBudget budget)
    {
        if (n == 0) return One;
        if (n < 0)
        {
            var inv = Inverse() ?? throw new AnswerLimitException("no exact inverse");
            return inv.Pow(-n, budget);
        }
        if (Terms.Length == 1)
        {
            var (m, c) = Terms[0];
            budget.CheckBits((long)n * (c.Bits + m.Radicand.GetBitLength()));
            var coef = c.Pow(n) * Rational.FromInteger(BigInteger.Pow(m.Radicand, n / 2));
            var i = m.I && n % 2 == 1;
            if (m.I && n % 4 is 2 or 3) coef = -coef;
            return FromMonomial(new Monomial(n % 2 == 1 ? m.Radicand : BigInteger.One, i, checked(m.Pi * n), checked(m.E * n)), coef);
        }
        if (n > 256) throw new AnswerLimitException("power of a sum too large to expand exactly");
        var result = One;
        var b = this;
        while (n > 0)
        {
            if ((n & 1) == 1) result = result.Multiply(b, budget);
            n >>= 1;
            if (n > 0) b = b.Multiply(b, budget);
        }
        return result;
    }

    /// <summary>√x when x is a rational times an even power of π and e (negative rationals give i·√|x|).</summary>
    public ExactValue? Sqrt()
    {
        if (IsZero) return Zero;
        if (Terms.Length != 1) return null;
        var (m, c) = Terms[0];
        if (!m.Radicand.IsOne || m.I || m.Pi % 2 != 0 || m.E % 2 != 0) return null;
        var negative = c.Sign < 0;
        var a = c.Abs();
        // √(p/q) = √(pq)/q
        var pq = a.Num * a.Den;
        if (pq.GetBitLength() > 256) return null;
        if (!SquareFree.TrySplit(pq, out var outside, out var inside)) return null;
        var coef = new Rational(outside, a.Den);
        return FromMonomial(new Monomial(inside, negative, m.Pi / 2, m.E / 2), coef);
    }

    public Complex Approx()
    {
        Complex sum = 0;
        foreach (var (m, c) in Terms)
        {
            double v = c.ToDouble();
            if (!m.Radicand.IsOne) v *= Math.Sqrt((double)m.Radicand);
            if (m.Pi != 0) v *= Math.Pow(Math.PI, m.Pi);
            if (m.E != 0) v *= Math.Pow(Math.E, m.E);
            sum += m.I ? new Complex(0, v) : new Complex(v, 0);
        }
        return sum;
    }

    public override string ToString()
    {
        if (IsZero) return "0";
        var sb = new StringBuilder();
        foreach (var (m, c) in Terms)
        {
            if (sb.Length > 0) sb.Append(" + ");
            sb.Append(c.ToString());
            if (!m.Radicand.IsOne) sb.Append("*sqrt(").Append(m.Radicand).Append(')');
            if (m.I) sb.Append("*i");
            if (m.Pi != 0) sb.Append("*pi^").Append(m.Pi);
            if (m.E != 0) sb.Append("*e^").Append(m.E);
        }
        return sb.ToString();
    }
}

/// <summary>Splits n = outside² · inside with inside square-free, when that can be proven by trial division.</summary>
internal static class SquareFree
{
    private const int Bound = 2000;

    public static bool TrySplit(BigInteger n, out BigInteger outside, out BigInteger inside)
    {
        outside = BigInteger.One;
        inside = BigInteger.One;
        if (n.IsZero) { outside = 0; return true; }
        for (var p = 2; p <= Bound && n > 1; p += p == 2 ? 1 : 2)
        {
            var count = 0;
            while ((n % p).IsZero) { n /= p; count++; }
            if (count == 0) continue;
            outside *= BigInteger.Pow(p, count / 2);
            if (count % 2 == 1) inside *= p;
        }
        if (n.IsOne) return true;
        var root = IntegerRoot(n, 2);
        if (root * root == n) { outside *= root; return true; }
        // No prime factor ≤ Bound is left, so below Bound³ the rest is p or p·q: square-free.
        if (n < (BigInteger)Bound * Bound * Bound) { inside *= n; return true; }
        return false;
    }

    /// <summary>⌊n^(1/k)⌋ for n ≥ 0.</summary>
    public static BigInteger IntegerRoot(BigInteger n, int k)
    {
        if (n < 2) return n;
        var bits = (long)n.GetBitLength();
        var x = BigInteger.One << (int)((bits + k - 1) / k);
        while (true)
        {
            var y = ((k - 1) * x + n / BigInteger.Pow(x, k - 1)) / k;
            if (y >= x) break;
            x = y;
        }
        while (BigInteger.Pow(x + 1, k) <= n) x++;
        while (BigInteger.Pow(x, k) > n) x--;
        return x;
    }
}
