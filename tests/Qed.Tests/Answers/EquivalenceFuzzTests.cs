using System.Numerics;
using Qed.Answers;

namespace Qed.Tests.Answers;

/// <summary>
/// Random answer pairs from a generator of rewritings (issue 17). A value is drawn (an integer, a fraction, a surd,
/// a tuple, a set, an interval, a factored polynomial); the gold writes it one way and the prediction another way
/// (scaled fractions, reordered set items and sums, digit-group separators, boxes, prose around it, a shown
/// computation, a label, a thinking section before it). Equivalent rewritings must never come out different;
/// a perturbed value (one item changed, two items swapped, an end opened, a digit moved) must never come out
/// equivalent. Seeded, so a failure is reproducible; the message lists the pairs.
/// </summary>
public class EquivalenceFuzzTests
{
    private const int Pairs = 1500;

    [Fact]
    public void Equivalent_rewritings_are_never_different()
    {
        var random = new Random(17_001);
        var failures = new List<string>();
        for (var k = 0; k < Pairs; k++)
        {
            var value = Draw(random);
            var gold = value.Render(random, plainOnly: true);
            var pred = Wrap(random, value.Render(random, plainOnly: false));
            var check = AnswerChecker.Check(gold, pred);
            if (check.Verdict == AnswerVerdict.Different) failures.Add($"[{gold}] vs [{pred}]: {check.Reason}");
        }
        failures.Should().BeEmpty();
    }

    [Fact]
    public void Perturbed_values_are_never_equivalent()
    {
        var random = new Random(17_002);
        var failures = new List<string>();
        var checkedPairs = 0;
        for (var k = 0; k < Pairs; k++)
        {
            var value = Draw(random);
            var other = value.Perturb(random);
            if (other is null) continue;
            checkedPairs++;
            var gold = value.Render(random, plainOnly: true);
            var pred = Wrap(random, other.Render(random, plainOnly: false));
            var check = AnswerChecker.Check(gold, pred);
            if (check.Verdict == AnswerVerdict.Equivalent) failures.Add($"[{gold}] vs [{pred}]: {check.Reason}");
        }
        checkedPairs.Should().BeGreaterThan(Pairs * 9 / 10);
        failures.Should().BeEmpty();
    }

    [Fact]
    public void The_generator_rewrites_rather_than_copies()
    {
        // A fuzz test whose two sides were always the same text would pass without testing anything.
        var random = new Random(17_003);
        var differentText = 0;
        for (var k = 0; k < 200; k++)
        {
            var value = Draw(random);
            if (value.Render(random, plainOnly: true) != Wrap(random, value.Render(random, plainOnly: false))) differentText++;
        }
        differentText.Should().BeGreaterThan(150);
    }

    // ---------- values ----------

    private abstract record Value
    {
        /// <param name="plainOnly">The gold's way of writing: no separators that only models use.</param>
        public abstract string Render(Random r, bool plainOnly);
        /// <summary>A different value of the same kind, or null when this one cannot be perturbed.</summary>
        public abstract Value? Perturb(Random r);
    }

    private static Value Draw(Random r) => r.Next(7) switch
    {
        0 => new Integer(RandomInteger(r)),
        1 => (Value?)Fraction.Of(r.Next(-40, 41), r.Next(2, 30)) ?? new Integer(r.Next(1, 100)),
        2 => new Surd(r.Next(2, 9), new[] { 2, 3, 5, 6, 7, 10 }[r.Next(6)]),
        3 => new Tuple(Enumerable.Range(0, r.Next(2, 5)).Select(_ => (BigInteger)r.Next(-20, 21)).ToList()),
        4 => new FiniteSet(DistinctIntegers(r, r.Next(2, 5))),
        5 => Interval.Draw(r),
        _ => new Factored(r.Next(-9, 10), r.Next(-9, 10)),
    };

    private static BigInteger RandomInteger(Random r) => r.Next(4) switch
    {
        0 => r.Next(-99, 100),
        1 => r.Next(1000, 1_000_000),
        2 => r.Next(1_000_000, int.MaxValue),
        _ => -r.Next(1000, 100_000),
    };

    private static List<BigInteger> DistinctIntegers(Random r, int count)
    {
        var set = new SortedSet<BigInteger>();
        while (set.Count < count) set.Add(r.Next(-30, 31));
        return set.OrderBy(_ => r.Next()).ToList();
    }

    private sealed record Integer(BigInteger N) : Value
    {
        public override string Render(Random r, bool plainOnly)
        {
            if (plainOnly) return N.ToString();
            var digits = BigInteger.Abs(N).ToString();
            var sign = N.Sign < 0 ? "-" : "";
            switch (r.Next(8))
            {
                case 0: return sign + Group(digits, "\\,");
                case 1: return sign + Group(digits, "{,}");
                case 2: return sign + Group(digits, ",\\!");
                case 3: return sign + Group(digits, " ");
                case 4: return sign + Group(digits, ",");
                case 5: return N + ".0";
                case 6:
                {
                    // A computation shown on the way: "a + b = n".
                    var a = r.Next(0, 50);
                    return $"{N - a} + {a} = {N}";
                }
                default: return N.ToString();
            }
        }

        public override Value? Perturb(Random r)
        {
            var delta = r.Next(3) switch { 0 => 1, 1 => -1, _ => r.Next(2, 1000) };
            return new Integer(N + delta);
        }
    }

    /// <summary>Digits in groups of three from the right: "1234567" with "\," is "1\,234\,567".</summary>
    internal static string Group(string digits, string separator)
    {
        var first = digits.Length % 3 == 0 ? 3 : digits.Length % 3;
        var parts = new List<string> { digits[..first] };
        for (var i = first; i < digits.Length; i += 3) parts.Add(digits.Substring(i, 3));
        return string.Join(separator, parts);
    }

    private sealed record Fraction(int P, int Q) : Value
    {
        public static Fraction? Of(int p, int q)
        {
            var g = (int)BigInteger.GreatestCommonDivisor(p, q);
            if (p == 0 || q / g == 1) return null;
            return new Fraction(p / g, q / g);
        }

        public override string Render(Random r, bool plainOnly)
        {
            var sign = P < 0 ? "-" : "";
            var (p, q) = (Math.Abs(P), Q);
            if (plainOnly) return $"{sign}\\frac{{{p}}}{{{q}}}";
            var k = r.Next(1, 6); // scaling: 2/3 as 4/6
            return r.Next(5) switch
            {
                0 => $"{sign}\\dfrac{{{p * k}}}{{{q * k}}}",
                1 => $"{sign}{p * k}/{q * k}",
                2 => $"\\frac{{{P * k}}}{{{q * k}}}",
                3 => $"{sign}\\frac{{{p * k}}}{{{q * k}}} = {sign}\\frac{{{p}}}{{{q}}}",
                _ => $"{sign}\\tfrac{{{p}}}{{{q}}}",
            };
        }

        public override Value? Perturb(Random r) => r.Next(2) == 0 ? Of(P + 1, Q) : Of(P, Q + 1);
    }

    private sealed record Surd(int K, int M) : Value
    {
        public override string Render(Random r, bool plainOnly) =>
            plainOnly ? $"{K}\\sqrt{{{M}}}" : r.Next(3) switch
            {
                0 => $"\\sqrt{{{K * K * M}}}",
                1 => $"\\sqrt{{{M}}} \\cdot {K}",
                _ => M < 10 ? $"{K}\\sqrt{M}" : $"{K}\\sqrt{{{M}}}", // TeX reads \sqrt10 as \sqrt{1}0
            };

        public override Value? Perturb(Random r) => r.Next(2) == 0 ? new Surd(K + 1, M) : new Surd(K, M == 2 ? 3 : 2);
    }

    private sealed record Tuple(List<BigInteger> Items) : Value
    {
        public override string Render(Random r, bool plainOnly)
        {
            var inner = string.Join(plainOnly || r.Next(2) == 0 ? ", " : ",", Items);
            if (plainOnly) return $"({inner})";
            return r.Next(3) switch
            {
                0 => $"\\left( {inner} \\right)",
                1 => $"({string.Join(", ", Enumerable.Range(0, Items.Count).Select(i => $"x_{i + 1}"))}) = ({inner})",
                _ => $"({inner})",
            };
        }

        public override Value? Perturb(Random r)
        {
            var items = Items.ToList();
            var i = r.Next(items.Count);
            var j = (i + 1 + r.Next(items.Count - 1)) % items.Count;
            if (r.Next(2) == 0 && items[i] != items[j]) (items[i], items[j]) = (items[j], items[i]);
            else items[i] += r.Next(1, 5);
            return new Tuple(items);
        }
    }

    private sealed record FiniteSet(List<BigInteger> Items) : Value
    {
        public override string Render(Random r, bool plainOnly)
        {
            var order = plainOnly ? Items : Items.OrderBy(_ => r.Next()).ToList();
            var inner = string.Join(", ", order);
            return plainOnly || r.Next(3) > 0 ? $"\\{{{inner}\\}}" : inner;
        }

        public override Value? Perturb(Random r)
        {
            var items = Items.ToList();
            var replacement = items.Max() + r.Next(1, 5);
            items[r.Next(items.Count)] = replacement;
            return new FiniteSet(items);
        }
    }

    private sealed record Interval(int Low, int High, bool LowClosed, bool HighClosed) : Value
    {
        public static Interval Draw(Random r)
        {
            var low = r.Next(-20, 20);
            return new Interval(low, low + r.Next(1, 20), r.Next(2) == 0, r.Next(2) == 0);
        }

        public override string Render(Random r, bool plainOnly)
        {
            var open = LowClosed ? "[" : "(";
            var close = HighClosed ? "]" : ")";
            if (plainOnly || r.Next(2) == 0) return $"{open}{Low}, {High}{close}";
            return $"{Low} {(LowClosed ? "\\le" : "<")} x {(HighClosed ? "\\le" : "<")} {High}";
        }

        public override Value? Perturb(Random r) => r.Next(3) switch
        {
            0 => this with { LowClosed = !LowClosed },
            1 => this with { HighClosed = !HighClosed },
            _ => this with { High = High + 1 },
        };
    }

    /// <summary>(x + a)(x + b), written factored or expanded.</summary>
    private sealed record Factored(int A, int B) : Value
    {
        public override string Render(Random r, bool plainOnly)
        {
            if (plainOnly || r.Next(2) == 0) return $"(x {Signed(A)})(x {Signed(B)})";
            return $"x^2 {Signed(A + B)}x {Signed(A * B)}";
        }

        private static string Signed(int v) => v < 0 ? $"- {-v}" : $"+ {v}";

        public override Value? Perturb(Random r) => r.Next(2) == 0 ? this with { A = A + 1 } : this with { B = -B == B ? B + 2 : -B };
    }

    // ---------- what surrounds the answer in a reply ----------

    private static string Wrap(Random r, string answer) => r.Next(7) switch
    {
        0 => answer,
        1 => $"\\boxed{{{answer}}}",
        2 => $"Putting the cases together, the answer is ${answer}$.",
        3 => $"We check every case.\n\nAnswer: ${answer}$",
        4 => $"<think>Try 17 and 23 first; 99 fails.</think>\nSo the final answer is $\\boxed{{{answer}}}$.",
        5 => $"**Final answer:** ${answer}$",
        _ => $"Thus $${answer}$$",
    };
}
