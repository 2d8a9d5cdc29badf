namespace Qed.Scaffolds;

/// <summary>
/// What a parser of model output found: a value, or an explicit "unparsable" with the reason. Scaffolds decide
/// (and document) what to do with an unparsable reply; a parser never turns one into a default value.
/// </summary>
public sealed record Parsed<T>
{
    private readonly T _value;

    private Parsed(bool ok, T value, string? problem)
    {
        IsParsed = ok;
        _value = value;
        Problem = problem;
    }

    public bool IsParsed { get; }
    /// <summary>Why the text could not be parsed; null when it could.</summary>
    public string? Problem { get; }
    public T Value => IsParsed ? _value : throw new InvalidOperationException("unparsable: " + Problem);

    public static Parsed<T> Ok(T value) => new(true, value, null);
    public static Parsed<T> Unparsable(string problem) => new(false, default!, problem);

    /// <summary>The value, or the fallback a scaffold documents for unparsable replies.</summary>
    public T Or(T fallback) => IsParsed ? _value : fallback;

    public override string ToString() => IsParsed ? $"Parsed({_value})" : $"Unparsable({Problem})";
}
