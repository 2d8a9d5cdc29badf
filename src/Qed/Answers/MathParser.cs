using System.Numerics;

namespace Qed.Answers;

internal sealed class ParseException(string reason) : Exception(reason);

/// <summary>
/// Recursive-descent parser from cleaned LaTeX or plain maths to <see cref="MathExpr"/>.
/// Precedence, loosest first: answer list (; then , and/or) → relation chain → ratio (:) → union (∪)
/// → sum (+ − ±) → product (· / implicit) → unary sign → power (^) → postfix (! % ° _) → primary.
/// </summary>
internal sealed class MathParser
{
    private static readonly HashSet<string> Functions = new(StringComparer.Ordinal)
    {
        "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
        "ln", "log", "lg", "exp", "max", "min", "gcd", "lcm", "det", "floor", "ceil", "abs", "sqrt",
    };
    private static readonly HashSet<string> FunctionLetters = ["f", "g", "h", "F", "G", "H", "P", "Q", "W"];
    private static readonly HashSet<string> Greek = new(StringComparer.Ordinal)
    {
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega", "ell",
    };
    private static readonly Dictionary<string, string> RelationCommands = new(StringComparer.Ordinal)
    {
        ["le"] = "<=", ["leq"] = "<=", ["leqslant"] = "<=", ["ge"] = ">=", ["geq"] = ">=", ["geqslant"] = ">=",
        ["ne"] = "!=", ["neq"] = "!=", ["lt"] = "<", ["gt"] = ">", ["approx"] = "~=", ["simeq"] = "~=", ["approxeq"] = "~=",
        ["equiv"] = "=", ["in"] = "in", ["notin"] = "notin", ["cong"] = "=",
    };
    private static readonly HashSet<string> WrapperCommands = new(StringComparer.Ordinal)
    {
        "boxed", "fbox", "overline", "underline", "vec", "hat", "bar", "tilde", "mathbf", "mathit", "boldsymbol",
        "mathcal", "overrightarrow", "widehat", "displaystyle",
    };

    private readonly List<Token> _t;
    private readonly AnswerBudget _budget;
    private readonly HashSet<string> _bound = new(StringComparer.Ordinal);
    private int _p;
    private int _absDepth;
    private int _depth;

    private MathParser(List<Token> tokens, AnswerBudget budget)
    {
        _t = tokens;
        _budget = budget;
    }

    public static MathExpr Parse(string cleaned, AnswerBudget budget)
    {
        var parser = new MathParser(MathLexer.Tokenize(cleaned, budget), budget);
        var result = parser.ParseTop();
        if (parser.Peek.Kind != TokenKind.End) throw new ParseException($"unexpected '{parser.Peek.Value}'");
        return result;
    }

    private Token Peek => _t[_p];
    private Token PeekAt(int k) => _t[Math.Min(_p + k, _t.Count - 1)];
    private Token Next() => _t[_p < _t.Count - 1 ? _p++ : _p];

    private bool Accept(string op)
    {
        if (!Peek.Is(op)) return false;
        _p++;
        return true;
    }

    private void Expect(string op)
    {
        if (!Accept(op)) throw new ParseException($"expected '{op}' but found '{Peek.Value}'");
    }

    private void Enter()
    {
        _budget.Tick();
        if (++_depth > 200) throw new AnswerLimitException("expression nested too deeply");
    }

    // ---------- lists ----------

    private MathExpr ParseTop()
    {
        var groups = new List<List<MathExpr>>();
        do
        {
            if (IsListEnd(Peek)) { if (groups.Count == 0) groups.Add([]); continue; }
            groups.Add(ParseItems());
        } while (Accept(";"));
        return AnswerShapes.FromGroups(groups);
    }

    private static bool IsListEnd(Token t) =>
        t.Kind == TokenKind.End || t.Is(";") || t.Is(")") || t.Is("]") || t.Is("}") || t.Is("\\}");

    private bool AcceptSeparator()
    {
        var any = false;
        while (true)
        {
            if (Peek.Is(",") || (Peek.Kind == TokenKind.Word && Peek.Value is "and" or "or")
                || (Peek.Kind == TokenKind.Text && IsConnective(Peek.Value)))
            {
                _p++;
                any = true;
                continue;
            }
            return any;
        }
    }

    internal static bool IsConnective(string text) =>
        text.Trim().TrimEnd(',') is "and" or "or" or "," or "" or "und" or "et";

    private List<MathExpr> ParseItems()
    {
        var items = new List<MathExpr>();
        while (Peek.Kind == TokenKind.Text && IsConnective(Peek.Value)) _p++;
        items.Add(ParseRelation());
        while (AcceptSeparator())
        {
            if (IsListEnd(Peek)) break;
            items.Add(ParseRelation());
        }
        return items;
    }

    // ---------- relations ----------

    private string? PeekRelation()
    {
        var t = Peek;
        if (t.Kind == TokenKind.Op)
            return t.Value switch { "=" => "=", "<" => "<", ">" => ">", "<=" => "<=", ">=" => ">=", "!=" => "!=", _ => null };
        if (t.Kind == TokenKind.Command && RelationCommands.TryGetValue(t.Value, out var op)) return op;
        return null;
    }

    private MathExpr ParseRelation()
    {
        Enter();
        var first = ParseRatio();
        var op = PeekRelation();
        if (op is null) { _depth--; return first; }
        var operands = new List<MathExpr> { first };
        var ops = new List<string>();
        while (op is not null)
        {
            _p++;
            ops.Add(op);
            operands.Add(ParseRatio());
            op = PeekRelation();
        }
        _depth--;
        return new RelationExpr(operands, ops);
    }

    private MathExpr ParseRatio()
    {
        var first = ParseUnion();
        if (!Peek.Is(":")) return first;
        var parts = new List<MathExpr> { first };
        while (Accept(":")) parts.Add(ParseUnion());
        return new RatioExpr(parts);
    }

    private MathExpr ParseUnion()
    {
        var first = ParseSum();
        if (!Peek.IsCommand("cup") && !Peek.IsCommand("cap") && !Peek.IsCommand("setminus")) return first;
        var parts = new List<MathExpr> { first };
        while (Peek.IsCommand("cup") || Peek.IsCommand("cap") || Peek.IsCommand("setminus"))
        {
            if (!Peek.IsCommand("cup")) throw new ParseException("intersections and set differences are not supported");
            _p++;
            parts.Add(ParseSum());
        }
        return new UnionExpr(parts);
    }

    // ---------- arithmetic ----------

    private MathExpr ParseSum()
    {
        Enter();
        var terms = new List<MathExpr> { ParseSigned() };
        while (true)
        {
            if (Accept("+")) terms.Add(ParseProduct());
            else if (Accept("-")) terms.Add(Negate(ParseProduct()));
            else if (Peek.IsCommand("pm") || Peek.IsCommand("mp"))
            {
                var minus = Next().Value == "mp";
                terms.Add(new PlusMinusExpr(null, ParseProduct(), minus));
            }
            else break;
        }
        _depth--;
        return terms.Count == 1 ? terms[0] : new SumExpr(terms);
    }

    private MathExpr ParseSigned()
    {
        if (Accept("-")) return Negate(ParseProduct());
        if (Accept("+")) return ParseProduct();
        if (Peek.IsCommand("pm") || Peek.IsCommand("mp"))
        {
            var minus = Next().Value == "mp";
            return new PlusMinusExpr(null, ParseProduct(), minus);
        }
        return ParseProduct();
    }

    internal static MathExpr Negate(MathExpr e) => e switch
    {
        NumberExpr n => n with { Value = -n.Value },
        _ => new ProductExpr([new NumberExpr(Rational.MinusOne, false), e]),
    };

    private MathExpr ParseProduct()
    {
        Enter();
        var factors = new List<MathExpr> { ParseUnary() };
        while (true)
        {
            var t = Peek;
            if (t.Is("*") || t.IsCommand("cdot") || t.IsCommand("times") || t.IsCommand("ast"))
            {
                _p++;
                factors.Add(ParseUnary());
            }
            else if (t.Is("/") || t.IsCommand("div"))
            {
                _p++;
                factors.Add(new PowerExpr(ParseUnary(), new NumberExpr(Rational.MinusOne, false)));
            }
            else if (StartsImplicitFactor(t)) factors.Add(ParsePower());
            else break;
        }
        _depth--;
        return factors.Count == 1 ? factors[0] : new ProductExpr(factors);
    }

    private bool StartsImplicitFactor(Token t) => t.Kind switch
    {
        TokenKind.Number or TokenKind.Letter => true,
        TokenKind.Text => !IsConnective(t.Value),
        TokenKind.Word => t.Value is not ("and" or "or" or "percent" or "pct" or "percentage" or "degrees" or "degree" or "deg" or "mod"),
        TokenKind.Command => t.Value is "frac" or "dfrac" or "tfrac" or "cfrac" or "sqrt" or "pi" or "infty" or "binom" or "dbinom"
            or "tbinom" or "lfloor" or "lceil" or "begin" or "boxed" or "sum" or "prod" or "lvert" or "vert" or "Vert"
            || Functions.Contains(t.Value) || Greek.Contains(t.Value) || WrapperCommands.Contains(t.Value) || t.Value == "mathbb",
        TokenKind.Op => t.Value == "(" || (t.Value == "|" && _absDepth == 0),
        _ => false,
    };

    private MathExpr ParseUnary()
    {
        if (Accept("-")) return Negate(ParseUnary());
        if (Accept("+")) return ParseUnary();
        if (Peek.IsCommand("pm") || Peek.IsCommand("mp"))
        {
            var minus = Next().Value == "mp";
            return new PlusMinusExpr(null, ParseUnary(), minus);
        }
        return ParsePower();
    }

    private MathExpr ParsePower()
    {
        Enter();
        var b = ParsePostfix();
        if (Accept("^"))
        {
            var exponent = ParseScriptArgument();
            b = ParsePostfixAfter(new PowerExpr(b, exponent));
        }
        _depth--;
        return b;
    }

    private MathExpr ParsePostfix() => ParsePostfixAfter(ParsePrimary());

    private MathExpr ParsePostfixAfter(MathExpr p)
    {
        while (true)
        {
            var t = Peek;
            if (t.Is("!")) { _p++; p = new CallExpr("factorial", [p]); }
            else if (t.Is("°") || (t.Kind == TokenKind.Word && t.Value is "degrees" or "degree" or "deg")) { _p++; p = new DegreesExpr(p); }
            else if (t.Is("%") || (t.Kind == TokenKind.Word && t.Value is "percent" or "pct" or "percentage")) { _p++; p = new PercentExpr(p); }
            else if (t.Is("'")) { _p++; p = p is SymbolExpr s ? new SymbolExpr(s.Name + "'") : p; }
            else if (t.Is("_")) { _p++; p = Subscript(p, ParseSubscriptArgument()); }
            else return p;
        }
    }

    private static MathExpr Subscript(MathExpr b, MathExpr index)
    {
        var name = b switch
        {
            SymbolExpr s => s.Name,
            ConstantExpr { Kind: ConstantKind.E } => "e",
            ConstantExpr { Kind: ConstantKind.I } => "i",
            _ => null,
        };
        if (b is NumberExpr { IsDecimal: false } n && index is NumberExpr { IsDecimal: false } radix && n.Value.Sign >= 0)
            return FromBase(n.Value.Num, radix.Value) ?? new SymbolExpr($"{n.Value}_{radix.Value}");
        if (name is null) return b;
        if (index is NumberExpr or TextExpr) return new SymbolExpr($"{name}_{MathRender.Display(index)}");
        return new IndexedExpr(name, index);
    }

    private static MathExpr? FromBase(BigInteger digitsAsDecimal, Rational radix)
    {
        if (!radix.IsInteger || radix.Num < 2 || radix.Num > 10) return null;
        var b = (int)radix.Num;
        BigInteger value = 0;
        foreach (var ch in digitsAsDecimal.ToString())
        {
            var d = ch - '0';
            if (d >= b) return null;
            value = value * b + d;
        }
        return new NumberExpr(Rational.FromInteger(value), false);
    }

    /// <summary>The argument of ^ or _ or \frac: a braced group, or a single character/command as TeX reads it.</summary>
    private MathExpr ParseScriptArgument()
    {
        var t = Peek;
        if (t.Is("{"))
        {
            _p++;
            var inner = ParseTop();
            Expect("}");
            return inner;
        }
        if (t.Is("-")) { _p++; return Negate(ParseScriptArgument()); }
        if (t.Kind == TokenKind.Number)
        {
            _p++;
            if (t.Value.Length > 1 && t.Value.All(char.IsAsciiDigit))
            {
                _t.Insert(_p, new Token(TokenKind.Number, t.Value[1..]));
                return Number(t.Value[..1]);
            }
            return Number(t.Value);
        }
        if (t.Kind == TokenKind.Letter) { _p++; return Letter(t.Value); }
        return ParsePrimary();
    }

    private MathExpr ParseSubscriptArgument()
    {
        // Inside a subscript, e and i are names (x_i), not constants.
        var t = Peek;
        if (t.Kind == TokenKind.Letter) { _p++; return new SymbolExpr(t.Value); }
        if (t.Is("{"))
        {
            _bound.Add("e"); _bound.Add("i");
            try
            {
                _p++;
                var inner = ParseTop();
                Expect("}");
                return inner;
            }
            finally { _bound.Remove("e"); _bound.Remove("i"); }
        }
        return ParseScriptArgument();
    }

    private static NumberExpr Number(string text)
    {
        if (!Rational.TryParseDecimal(text, out var value)) throw new ParseException($"bad number '{text}'");
        return new NumberExpr(value, text.Contains('.') || text.Contains('e') || text.Contains('E'));
    }

    private MathExpr Letter(string name)
    {
        if (!_bound.Contains(name))
        {
            if (name == "e") return new ConstantExpr(ConstantKind.E);
            if (name == "i") return new ConstantExpr(ConstantKind.I);
        }
        return new SymbolExpr(name);
    }

    // ---------- primaries ----------

    private MathExpr ParsePrimary()
    {
        Enter();
        try
        {
            var t = Next();
            switch (t.Kind)
            {
                case TokenKind.Number:
                    return Number(t.Value);
                case TokenKind.Letter:
                    if (FunctionLetters.Contains(t.Value) && Peek.Is("(") && !_bound.Contains(t.Value))
                    {
                        _p++;
                        var args = ParseArgumentsUntil(")");
                        return new CallExpr("apply:" + t.Value, args);
                    }
                    return Letter(t.Value);
                case TokenKind.Text:
                    return new TextExpr(t.Value);
                case TokenKind.Word:
                    return ParseWord(t.Value);
                case TokenKind.Command:
                    return ParseCommand(t.Value);
                case TokenKind.Op:
                    return ParseOpPrimary(t.Value);
                default:
                    throw new ParseException("unexpected end of answer");
            }
        }
        finally { _depth--; }
    }

    private MathExpr ParseOpPrimary(string op)
    {
        switch (op)
        {
            case "(":
            case "[":
                return ParseBracketed(op);
            case "\\{":
            {
                var items = IsListEnd(Peek) ? [] : ParseFlatItems();
                Expect("\\}");
                return new SetExpr(items);
            }
            case "{":
            {
                if (Accept("}")) return new SetExpr([]);
                var inner = ParseTop();
                Expect("}");
                return inner is AnswerListExpr list ? new SetExpr(list.Items) : inner;
            }
            case "|":
            {
                _absDepth++;
                var inner = ParseSum();
                _absDepth--;
                Expect("|");
                return new CallExpr("abs", [inner]);
            }
            default:
                throw new ParseException($"unexpected '{op}'");
        }
    }

    private List<MathExpr> ParseFlatItems()
    {
        var items = new List<MathExpr>();
        do
        {
            if (IsListEnd(Peek) && !Peek.Is(";")) break;
            if (Peek.Is(";")) continue;
            items.AddRange(ParseItems());
        } while (Accept(";"));
        return items;
    }

    private MathExpr ParseBracketed(string open)
    {
        var savedAbs = _absDepth;
        _absDepth = 0;
        var items = ParseFlatItems();
        _absDepth = savedAbs;
        var close = Next();
        if (!close.Is(")") && !close.Is("]")) throw new ParseException($"expected ')' or ']' but found '{close.Value}'");
        if (items.Count == 0) return new TupleExpr([]);
        if (items.Count == 1 && (open == "(") == close.Is(")")) return items[0];
        if (items.Count == 2 && (open == "[" || close.Is("]")))
            return new IntervalExpr(items[0], items[1], open == "[", close.Is("]"));
        return new TupleExpr(items);
    }

    private List<MathExpr> ParseArgumentsUntil(string close)
    {
        var savedAbs = _absDepth;
        _absDepth = 0;
        var items = Peek.Is(close) ? [] : ParseFlatItems();
        _absDepth = savedAbs;
        Expect(close);
        return items;
    }

    private MathExpr ParseWord(string word) => word switch
    {
        "pi" => new ConstantExpr(ConstantKind.Pi),
        "inf" or "infty" or "infinity" => new ConstantExpr(ConstantKind.Infinity),
        "binom" => ParseBinomial(),
        _ when Functions.Contains(word) => ParseFunction(word),
        _ => throw new ParseException($"unexpected word '{word}'"),
    };

    private MathExpr ParseCommand(string name)
    {
        switch (name)
        {
            case "frac" or "dfrac" or "tfrac" or "cfrac":
            {
                var num = ParseScriptArgument();
                var den = ParseScriptArgument();
                return Fraction(num, den);
            }
            case "sqrt":
            {
                MathExpr degree = new NumberExpr(2, false);
                if (Accept("["))
                {
                    degree = ParseSum();
                    Expect("]");
                }
                var radicand = ParseScriptArgument();
                return new PowerExpr(radicand, Fraction(new NumberExpr(1, false), degree));
            }
            case "pi": return new ConstantExpr(ConstantKind.Pi);
            case "infty" or "infin": return new ConstantExpr(ConstantKind.Infinity);
            case "emptyset" or "varnothing": return new SetExpr([]);
            case "binom" or "dbinom" or "tbinom": return ParseBinomial();
            case "lfloor":
            {
                var inner = ParseSum();
                if (!Next().IsCommand("rfloor")) throw new ParseException("expected \\rfloor");
                return new CallExpr("floor", [inner]);
            }
            case "lceil":
            {
                var inner = ParseSum();
                if (!Next().IsCommand("rceil")) throw new ParseException("expected \\rceil");
                return new CallExpr("ceil", [inner]);
            }
            case "lvert" or "vert" or "Vert":
            {
                _absDepth++;
                var inner = ParseSum();
                _absDepth--;
                var close = Next();
                if (!close.IsCommand("rvert") && !close.IsCommand("vert") && !close.IsCommand("Vert") && !close.Is("|"))
                    throw new ParseException("expected a closing bar");
                return new CallExpr("abs", [inner]);
            }
            case "begin": return ParseEnvironment();
            case "sum" or "prod": return ParseSeries(name == "prod");
            case "mathbb":
            {
                var (content, _) = (Peek.Is("{") ? ReadRawGroup() : Next().Value, 0);
                return content.Trim() == "R"
                    ? new IntervalExpr(Negate(new ConstantExpr(ConstantKind.Infinity)), new ConstantExpr(ConstantKind.Infinity), false, false)
                    : new TextExpr("mathbb:" + content.Trim());
            }
        }
        if (WrapperCommands.Contains(name)) return ParseScriptArgument();
        if (Functions.Contains(name)) return ParseFunction(name);
        if (Greek.Contains(name)) return new SymbolExpr(name);
        throw new ParseException($"unsupported command \\{name}");
    }

    private string ReadRawGroup()
    {
        Expect("{");
        var parts = new List<string>();
        while (!Peek.Is("}") && Peek.Kind != TokenKind.End) parts.Add(Next().Value);
        Expect("}");
        return string.Concat(parts);
    }

    internal static MathExpr Fraction(MathExpr num, MathExpr den) =>
        num is NumberExpr { Value.IsZero: false } n && n.Value == Rational.One
            ? new PowerExpr(den, new NumberExpr(Rational.MinusOne, false))
            : new ProductExpr([num, new PowerExpr(den, new NumberExpr(Rational.MinusOne, false))]);

    private MathExpr ParseBinomial()
    {
        if (Accept("("))
        {
            var args = ParseArgumentsUntil(")");
            if (args.Count != 2) throw new ParseException("binom needs two arguments");
            return new CallExpr("binom", args);
        }
        var n = ParseScriptArgument();
        var k = ParseScriptArgument();
        return new CallExpr("binom", [n, k]);
    }

    private MathExpr ParseFunction(string name)
    {
        MathExpr? power = null;
        MathExpr? logBase = null;
        for (var guard = 0; guard < 2; guard++)
        {
            if (Peek.Is("^") && !(PeekAt(1).Is("(")))
            {
                _p++;
                power = ParseScriptArgument();
            }
            else if (Peek.Is("_"))
            {
                _p++;
                logBase = ParseScriptArgument();
            }
        }
        List<MathExpr> args;
        if (Peek.Is("("))
        {
            _p++;
            args = ParseArgumentsUntil(")");
        }
        else if (Peek.Is("{"))
        {
            args = [ParseScriptArgument()];
        }
        else
        {
            // \sin 2x, \ln x: the operand runs over implicit factors up to the next function.
            var factors = new List<MathExpr> { ParsePower() };
            while (StartsImplicitFactor(Peek) && !IsFunctionToken(Peek) && Peek.Kind != TokenKind.Text) factors.Add(ParsePower());
            args = [factors.Count == 1 ? factors[0] : new ProductExpr(factors)];
        }
        if (args.Count == 0) throw new ParseException($"{name} needs an argument");
        MathExpr call = name switch
        {
            "exp" => new PowerExpr(new ConstantExpr(ConstantKind.E), args[0]),
            "sqrt" => new PowerExpr(args[0], new NumberExpr(new Rational(1, 2), false)),
            "ln" => new CallExpr("log", [args[0]]),
            "lg" => new CallExpr("log", [args[0], new NumberExpr(10, false)]),
            "log" when logBase is not null => new CallExpr("log", [args[0], logBase]),
            "log" => new CallExpr("log", [args[0]]),
            _ => new CallExpr(name, args),
        };
        if (power is NumberExpr { Value: var pv } && pv == Rational.MinusOne && name is "sin" or "cos" or "tan")
            return new CallExpr("arc" + name, args);
        return power is null ? call : new PowerExpr(call, power);
    }

    private static bool IsFunctionToken(Token t) =>
        (t.Kind is TokenKind.Word or TokenKind.Command) && (Functions.Contains(t.Value) || t.Value is "sum" or "prod");

    private MathExpr ParseSeries(bool isProduct)
    {
        Expect("_");
        Expect("{");
        var variable = Next();
        if (variable.Kind != TokenKind.Letter) throw new ParseException("a sum needs an index variable");
        Expect("=");
        var low = ParseSum();
        Expect("}");
        Expect("^");
        var high = ParseScriptArgument();
        var added = _bound.Add(variable.Value);
        try
        {
            var body = ParseProduct();
            return new SeriesExpr(variable.Value, low, high, body, isProduct);
        }
        finally { if (added) _bound.Remove(variable.Value); }
    }

    private MathExpr ParseEnvironment()
    {
        var env = ReadRawGroup();
        if (env is "array" && Peek.Is("{")) ReadRawGroup();
        var rows = new List<IReadOnlyList<MathExpr>>();
        var row = new List<MathExpr>();
        while (true)
        {
            _budget.Tick();
            if (Peek.IsCommand("end"))
            {
                _p++;
                ReadRawGroup();
                break;
            }
            if (Peek.Kind == TokenKind.End) throw new ParseException($"\\begin{{{env}}} is not closed");
            if (Accept("&")) continue;
            if (Accept("\\\\"))
            {
                if (row.Count > 0) rows.Add(row);
                row = [];
                continue;
            }
            row.Add(ParseRelation());
        }
        if (row.Count > 0) rows.Add(row);
        if (env.EndsWith("matrix", StringComparison.Ordinal) || env == "array")
        {
            if (rows.Count == 0 || rows.Any(r => r.Count != rows[0].Count)) throw new ParseException("ragged matrix");
            return new MatrixExpr(rows);
        }
        var all = rows.SelectMany(r => r).ToList();
        return all.Count == 1 ? all[0] : new AnswerListExpr(all);
    }
}
