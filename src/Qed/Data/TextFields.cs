namespace Qed.Data;

/// <summary>Which field of a row holds the text a stage looks at.</summary>
public static class TextFields
{
    /// <summary>Field names tried, in order, when the user names none.</summary>
    public static readonly string[] ProblemFields = ["problem", "Problem", "question", "prompt", "text"];

    public static string Of(DataRow row, string? field)
    {
        if (field is not null) return row.RequireText(field);
        return row.FirstText(ProblemFields)
            ?? throw new QedException($"{row.Where}: none of the fields {string.Join(", ", ProblemFields.Select(f => $"'{f}'"))} is present (name one with --field)");
    }

    /// <summary>An identifier of the row for reports, when it has one.</summary>
    public static string? IdOf(DataRow row) => row.FirstText("id", "problem_id", "Problem ID", "uuid");
}
