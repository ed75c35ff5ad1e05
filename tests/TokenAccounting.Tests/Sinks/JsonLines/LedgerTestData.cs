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

    /// <summary>A record with every field set (audio counts, server tool calls, every cost part), including text that needs escaping and a non-UTC offset.</summary>
    public static UsageRecord FullRecord() => new()
    {
        Id = "rec-1",
        Model = "claude-sonnet-4",
        ResponseModel = "claude-sonnet-4-20250514",
        Provider = "anthropic",
        Operation = new UsageOperation("custom_op"),
        Tokens = new TokenCounts(5000, 900, cachedInput: 1200, cacheWriteInput: 800, cacheWriteLongTtlInput: 300, reasoning: 400)
            .WithAudio(inputAudio: 700, cachedInputAudio: 200, outputAudio: 300),
        Provenance = UsageProvenance.Estimated,
        Outcome = UsageOutcome.Cancelled,
        DegradedReason = "empty_completion",
        StartedAt = new DateTimeOffset(2026, 1, 15, 13, 59, 58, 123, TimeSpan.FromHours(2)).AddTicks(4567),
        CompletedAt = new DateTimeOffset(2026, 1, 15, 14, 0, 1, 7, TimeSpan.FromHours(2)).AddTicks(1),
        Latency = TimeSpan.FromTicks(28_834_4321),
        StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromTicks(1_234_567), ["tool"] = TimeSpan.FromMilliseconds(3) },
        HistoryLength = 17,
        CorrelationId = "corr-9",
        UserId = "user-ü",
        TenantId = "tenant \"quoted\"",
        ApiKeyId = "key-3",
        Route = "/chat",
        ServiceTier = "priority",
        ScopePath = "agent/extract",
        Tags = new Dictionary<string, string> { ["team"] = "search", ["emoji"] = "🚀" },
        ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 3, ["code \"exec\" ü"] = 1 },
        Cost = new UsageCost(0.000000123456789012m, 0.0015m, 0.30000m, 12.5m, 0.0000001m, 0.1m, 0.0007m, 0.00002m, 0.0125m, 0.001m, 0.03m),
        Text = "line one\nline two \u2028 end",
        IsUnpaired = true,
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
