using Qed.Llm;

namespace Qed.Scaffolds;

/// <summary>Typed reads of scaffold parameters; a bad value names the file, line and field.</summary>
internal static class ScaffoldSettings
{
    public static int Count(this YamlConfig y, string field, int fallback, int min = 1)
    {
        var v = y.Int(field) ?? fallback;
        if (v < min) throw y.Error(field, $"must be a whole number of at least {min}, got {v}");
        return v;
    }

    public static bool Flag(this YamlConfig y, string field, bool fallback) => y.Bool(field) ?? fallback;
}
