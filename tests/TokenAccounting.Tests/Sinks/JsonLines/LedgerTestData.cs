namespace TokenAccounting.Tests.Sinks.JsonLines;

internal static class LedgerTestData
{
    public static readonly DateTimeOffset Noon = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    public static UsageRecord Record(string id, DateTimeOffset? completedAt = null, string model = "gpt-4o") => new()
    {
        Id = id,
        Model = model,
        Provider = "openai",
        Tokens = new TokenCounts(100, 20, cachedInput: 10),
        CompletedAt = completedAt ?? Noon,
    };

    public static UsageBatch Batch(string batchId, params UsageRecord[] records) => new(batchId, records, []);

    public static async Task<List<UsageRecord>> ReadAllAsync(string fileOrFolder)
    {
        var records = new List<UsageRecord>();
        await foreach (var record in JsonLinesUsageLedger.ReadAsync(fileOrFolder, CancellationToken.None))
        {
            records.Add(record);
        }

        return records;
    }

    /// <summary>The raw lines of a file, split on '\n' only; a last element without newline is kept as it is.</summary>
    public static List<string> RawLines(string path)
    {
        var text = File.ReadAllText(path);
        var lines = text.Split('\n').ToList();
        if (lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }
}
