using System.Text;

namespace Qed.Benchmarks;

/// <summary>RFC 4180 records (quoted fields may hold commas, doubled quotes and newlines), each with its first line number.</summary>
public static class CsvRecords
{
    public static IEnumerable<(int Line, List<string> Fields)> Parse(string path, string text)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1, i = 0;
        var quoted = false;
        var any = false;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                    quoted = false; i++; continue;
                }
                if (c == '\n') line++;
                field.Append(c); i++; continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true; any = true; i++; break;
                case ',':
                    fields.Add(field.ToString()); field.Clear(); any = true; i++; break;
                case '\r':
                    i++; break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    yield return (recordLine, fields);
                    fields = []; any = false;
                    line++; recordLine = line; i++; break;
                default:
                    field.Append(c); any = true; i++; break;
            }
        }
        if (quoted) throw new QedException($"{path}:{recordLine}: a quoted field is never closed");
        if (any || field.Length > 0)
        {
            fields.Add(field.ToString());
            yield return (recordLine, fields);
        }
    }
}
