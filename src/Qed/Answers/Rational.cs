using System.Globalization;
using System.Numerics;

namespace Qed.Answers;

/// <summary>An exact rational number: numerator and a positive denominator in lowest terms.</summary>
public readonly struct Rational : IEquatable<Rational>, IComparable<Rational>
{
    public BigInteger Num { get; }
    public BigInteger Den { get; }

    public static readonly Rational Zero = new(BigInteger.Zero, BigInteger.One, normalized: true);
    public static readonly Rational One = new(BigInteger.One, BigInteger.One, normalized: true);
    public static readonly Rational MinusOne = new(BigInteger.MinusOne, BigInteger.One, normalized: true);

    private Rational(BigInteger num, BigInteger den, bool normalized)
    {
        Num = num;
        Den = den;
    }

    public Rational(BigInteger num, BigInteger den)
    {
        if (den.IsZero) throw new DivideByZeroException();
        if (den.Sign < 0) { num = -num; den = -den; }
        var g = BigInteger.GreatestCommonDivisor(num, den);
        if (!g.IsOne && !g.IsZero) { num /= g; den /= g; }
        if (num.IsZero) den = BigInteger.One;
        Num = num;
        Den = den.IsZero ? BigInteger.One : den;
    }

    public static Rational FromInteger(BigInteger n) => new(n, BigInteger.One, normalized: true);
    public static implicit operator Rational(int n) => FromInteger(n);

    public bool IsZero => Num.IsZero;
    public bool IsInteger => Den.IsOne;
    public int Sign => Num.Sign;
    /// <summary>Bits needed to store it: the size limit of exact arithmetic is measured in these.</summary>
    public long Bits => Num.GetBitLength() + Den.GetBitLength();

    public static Rational operator +(Rational a, Rational b) =>
        a.Den == b.Den ? new Rational(a.Num + b.Num, a.Den) : new Rational(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a, Rational b) =>
        a.Den == b.Den ? new Rational(a.Num - b.Num, a.Den) : new Rational(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a) => new(-a.Num, a.Den, normalized: true);
    public static Rational operator *(Rational a, Rational b) =>
        a.IsZero || b.IsZero ? Zero : new Rational(a.Num * b.Num, a.Den * b.Den);
    public static Rational operator /(Rational a, Rational b) =>
        b.IsZero ? throw new DivideByZeroException() : new Rational(a.Num * b.Den, a.Den * b.Num);
    public static bool operator ==(Rational a, Rational b) => a.Equals(b);
    public static bool operator !=(Rational a, Rational b) => !a.Equals(b);
    public static bool operator <(Rational a, Rational b) => a.CompareTo(b) < 0;
    public static bool operator >(Rational a, Rational b) => a.CompareTo(b) > 0;
    public static bool operator <=(Rational a, Rational b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Rational a, Rational b) => a.CompareTo(b) >= 0;

    public Rational Abs() => Num.Sign < 0 ? -this : this;
    public Rational Inverse() => IsZero ? throw new DivideByZeroException() : new Rational(Den, Num);

    /// <summary>Integer power; the caller bounds the exponent against its size limit.</summary>
    public Rational Pow(int exponent)
    {
        if (exponent == 0) return One;
        if (exponent < 0) return Inverse().Pow(-exponent);
        return new Rational(BigInteger.Pow(Num, exponent), BigInteger.Pow(Den, exponent), normalized: true);
    }

    public BigInteger Floor() => Num.Sign >= 0 || Den.IsOne ? BigInteger.Divide(Num, Den) : BigInteger.Divide(Num, Den) - 1;
    public BigInteger Ceiling() => -(-this).Floor();

    public double ToDouble()
    {
        if (Num.IsZero) return 0;
        long nb = (long)Num.GetBitLength(), db = (long)Den.GetBitLength();
        if (nb < 1000 && db < 1000) return (double)Num / (double)Den;
        long shift = nb - db - 64;
        if (shift > 5000) return Num.Sign * double.PositiveInfinity;
        if (shift < -5000) return 0;
        var q = shift > 0 ? BigInteger.Divide(Num, Den << (int)shift) : BigInteger.Divide(Num << (int)-shift, Den);
        return Math.ScaleB((double)q, (int)shift);
    }

    /// <summary>Parses digits with an optional decimal point and exponent ("12", "0.25", ".4", "1e-3").</summary>
    public static bool TryParseDecimal(string text, out Rational value)
    {
        value = Zero;
        var s = text.Trim();
        if (s.Length == 0) return false;
        var exponent = 0;
        var e = s.IndexOfAny(['e', 'E']);
        if (e >= 0)
        {
            if (!int.TryParse(s.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)) return false;
            if (Math.Abs(exponent) > 100_000) return false;
            s = s[..e];
        }
        var negative = s.StartsWith('-');
        if (negative || s.StartsWith('+')) s = s[1..];
        var dot = s.IndexOf('.');
        var intPart = dot >= 0 ? s[..dot] : s;
        var fracPart = dot >= 0 ? s[(dot + 1)..] : "";
        if (intPart.Length + fracPart.Length == 0) return false;
        foreach (var c in intPart) if (!char.IsAsciiDigit(c)) return false;
        foreach (var c in fracPart) if (!char.IsAsciiDigit(c)) return false;
        var digits = BigInteger.Parse(intPart + fracPart + (intPart.Length + fracPart.Length == 0 ? "0" : ""), CultureInfo.InvariantCulture);
        var scale = exponent - fracPart.Length;
        var r = scale >= 0
            ? new Rational(digits * BigInteger.Pow(10, scale), BigInteger.One)
            : new Rational(digits, BigInteger.Pow(10, -scale));
        value = negative ? -r : r;
        return true;
    }

    public bool Equals(Rational other) => Num.Equals(other.Num) && Den.Equals(other.Den);
    public override bool Equals(object? obj) => obj is Rational r && Equals(r);
    public override int GetHashCode() => HashCode.Combine(Num, Den);
    public int CompareTo(Rational other) => (Num * other.Den).CompareTo(other.Num * Den);
    public override string ToString() => Den.IsOne ? Num.ToString(CultureInfo.InvariantCulture) : $"{Num}/{Den}";
}
