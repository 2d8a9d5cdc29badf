using System.Text;

namespace Qed.Benchmarks;

/// <summary>
/// RFC 4180 records (quoted fields may hold commas, doubled quotes and newlines), each with its first line number,
/// read from a character stream a buffer at a time; a field longer than the limit is an error naming its line
/// and column, before it can grow without bound.
/// </summary>
public static class CsvRecords
{
    public static IEnumerable<(int Line, List<string> Fields)> Parse(string path, string text) =>
        Parse(path, new StringReader(text), InputLimits.Default.MaxFieldChars, null);

    /// <param name="columnName">names field <c>i</c> in errors (the header, once read); null gives its number.</param>
    public static IEnumerable<(int Line, List<string> Fields)> Parse(string path, TextReader reader, int maxFieldChars,
        Func<int, string?>? columnName)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        var quoted = false;
        var any = false;
        var buffer = new char[1 << 14];
        int pos = 0, end = 0;
        var pendingQuote = false; // saw '"' inside a quoted field: either an escaped quote or the closing one

        void Append(char c)
        {
            if (field.Length >= maxFieldChars)
            {
                var name = columnName?.Invoke(fields.Count);
                var what = name is null ? $"field {fields.Count + 1}" : $"field '{name}'";
                throw new QedException($"{path}:{recordLine}: {what} is longer than the {InputLimits.Describe(maxFieldChars)} field limit");
            }
            field.Append(c);
        }

        while (true)
        {
            if (pos >= end)
            {
                end = reader.Read(buffer, 0, buffer.Length);
                pos = 0;
                if (end <= 0) break;
            }
            var c = buffer[pos++];
            if (pendingQuote)
            {
                pendingQuote = false;
                if (c == '"') { Append('"'); continue; }
                quoted = false; // that quote closed the field; c is read as unquoted below
            }
            if (quoted)
            {
                if (c == '"') { pendingQuote = true; continue; }
                if (c == '\n') line++;
                Append(c);
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true; any = true; break;
                case ',':
                    fields.Add(field.ToString()); field.Clear(); any = true; break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString()); field.Clear();
                    yield return (recordLine, fields);
                    fields = []; any = false;
                    line++; recordLine = line; break;
                default:
                    Append(c); any = true; break;
            }
        }
        if (pendingQuote) quoted = false;
        if (quoted) throw new QedException($"{path}:{recordLine}: a quoted field is never closed");
        if (any || field.Length > 0)
        {
            fields.Add(field.ToString());
            yield return (recordLine, fields);
        }
    }
}
