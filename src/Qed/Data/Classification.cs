using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qed.Data;

/// <summary>
/// What the filter model says about a problem and its reference solution.
/// </summary>
/// <param name="Incomplete">the statement or the solution is missing something needed to follow it</param>
/// <param name="Difficulty">1 (routine exercise) to 10 (hardest olympiad problems)</param>
/// <param name="Gaps">the solution skips steps that a grader would not accept without justification</param>
/// <param name="Wrong">the solution is incorrect</param>
/// <param name="Disagreement">the solution's conclusion disagrees with the problem's stated answer or claim</param>
/// <param name="Computational">the problem asks to compute a value rather than to prove a statement</param>
public sealed record Classification(bool Incomplete, int Difficulty, bool Gaps, bool Wrong, bool Disagreement, bool Computational)
{
    public static readonly string[] Fields = ["incomplete", "difficulty", "gaps", "wrong", "disagreement", "computational"];

    public JsonObject ToJson() => new()
    {
        ["incomplete"] = Incomplete,
        ["difficulty"] = Difficulty,
        ["gaps"] = Gaps,
        ["wrong"] = Wrong,
        ["disagreement"] = Disagreement,
        ["computational"] = Computational,
    };
}

/// <summary>A parsed classification, or why the reply could not be read as one.</summary>
public sealed record ClassificationParse(Classification? Value, string? Error)
{
    public bool Parsed => Value is not null;
}

public static class ClassificationParser
{
    /// <summary>Reads and validates the classification object in a reply. Pure; never guesses a missing field.</summary>
    public static ClassificationParse Parse(string? reply)
    {
        var (obj, error) = ModelJson.ExtractObject(reply);
        if (obj is null) return new(null, error);
        var problems = new List<string>();
        bool Flag(string name)
        {
            if (obj[name] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
            problems.Add(obj.ContainsKey(name) ? $"'{name}' is not true/false" : $"'{name}' is missing");
            return false;
        }
        var incomplete = Flag("incomplete");
        var gaps = Flag("gaps");
        var wrong = Flag("wrong");
        var disagreement = Flag("disagreement");
        var computational = Flag("computational");
        var difficulty = 0;
        if (obj["difficulty"] is JsonValue d && d.GetValueKind() == JsonValueKind.Number && double.TryParse(d.ToJsonString(),
                System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var dv)
            && dv == Math.Floor(dv) && dv is >= 1 and <= 10)
            difficulty = (int)dv;
        else
            problems.Add(obj.ContainsKey("difficulty") ? "'difficulty' is not an integer from 1 to 10" : "'difficulty' is missing");
        return problems.Count > 0
            ? new(null, string.Join("; ", problems))
            : new(new Classification(incomplete, difficulty, gaps, wrong, disagreement, computational), null);
    }
}
