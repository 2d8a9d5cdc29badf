namespace Qed.Data;

/// <summary>The file formats data commands read and write, told apart by file extension.</summary>
public enum TableFormat { Jsonl, Parquet, Csv }

public static class TableFormats
{
    public static TableFormat Of(string path)
    {
        var name = path.ToLowerInvariant();
        if (name.EndsWith(".jsonl") || name.EndsWith(".ndjson")) return TableFormat.Jsonl;
        if (name.EndsWith(".parquet")) return TableFormat.Parquet;
        if (name.EndsWith(".csv")) return TableFormat.Csv;
        throw new QedException($"{path}: unknown data format (expected .jsonl, .parquet or .csv)");
    }
}
