namespace Qed.Answers;

/// <summary>
/// The expression tree an answer parses into. Children are ordered as written; commutativity is applied
/// only when answers are compared (<see cref="MathRender.Canonical"/>), so a rendering still reads like the input.
/// </summary>
public abstract record MathExpr;

public sealed record NumberExpr(Rational Value, bool IsDecimal) : MathExpr;
public sealed record SymbolExpr(string Name) : MathExpr;
public enum ConstantKind { Pi, E, I, Infinity }
public sealed record ConstantExpr(ConstantKind Kind) : MathExpr;
public sealed record SumExpr(IReadOnlyList<MathExpr> Terms) : MathExpr;
public sealed record ProductExpr(IReadOnlyList<MathExpr> Factors) : MathExpr;
public sealed record PowerExpr(MathExpr Base, MathExpr Exponent) : MathExpr;

/// <summary>A named function: sin, cos, tan, …, log (args: x[, base]), root (x, n), abs, floor, ceil,
/// factorial, binom, min, max, gcd, lcm; an unknown function f(x) has Function "apply:f".</summary>
public sealed record CallExpr(string Function, IReadOnlyList<MathExpr> Args) : MathExpr;

/// <summary>A subscript whose index is not a constant, such as F_{n-k-1}.</summary>
public sealed record IndexedExpr(string Name, MathExpr Index) : MathExpr;
/// <summary>a ± b (Left null for ±b); Minus marks ∓.</summary>
public sealed record PlusMinusExpr(MathExpr? Left, MathExpr Right, bool Minus) : MathExpr;
public sealed record TupleExpr(IReadOnlyList<MathExpr> Items) : MathExpr;
public sealed record SetExpr(IReadOnlyList<MathExpr> Items) : MathExpr;
public sealed record IntervalExpr(MathExpr Low, MathExpr High, bool LowClosed, bool HighClosed) : MathExpr;
public sealed record UnionExpr(IReadOnlyList<MathExpr> Parts) : MathExpr;
public sealed record MatrixExpr(IReadOnlyList<IReadOnlyList<MathExpr>> Rows) : MathExpr;
/// <summary>a op b op c …; ops are "=", "!=", "<", "<=", ">", ">=", "~=" (approximately), "in", "notin".</summary>
public sealed record RelationExpr(IReadOnlyList<MathExpr> Operands, IReadOnlyList<string> Ops) : MathExpr;
/// <summary>Several answers ("1, 2 and 3"): order does not matter.</summary>
public sealed record AnswerListExpr(IReadOnlyList<MathExpr> Items) : MathExpr;
public sealed record TextExpr(string Text) : MathExpr;
public sealed record PercentExpr(MathExpr Inner) : MathExpr;
/// <summary>An angle written in degrees (36°): equal to 36 and to π/5.</summary>
public sealed record DegreesExpr(MathExpr Inner) : MathExpr;
/// <summary>Σ or Π over an integer range.</summary>
public sealed record SeriesExpr(string Variable, MathExpr Low, MathExpr High, MathExpr Body, bool IsProduct) : MathExpr;
public sealed record RatioExpr(IReadOnlyList<MathExpr> Parts) : MathExpr;
