namespace TokenAccounting.TestKit;

/// <summary>Builds records, their rollups and batches the way the pipeline would hand them to a sink.</summary>
public static class LedgerUsage
{
    public static readonly DateTimeOffset Day1 = new(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

    public static UsageRecord Record(
        string id,
        DateTimeOffset completedAt,
        long input,
        long output,
        string model = "gpt-4o",
        string? provider = "openai",
        string? user = null,
        string? tenant = null,
        string? apiKey = null,
        UsageCost? cost = null,
        UsageOperation? operation = null) => new()
        {
            Id = id,
            Model = model,
            Provider = provider,
            Operation = operation ?? UsageOperation.Chat,
            Tokens = new TokenCounts(input, output),
            CompletedAt = completedAt,
            UserId = user,
            TenantId = tenant,
            ApiKeyId = apiKey,
            Cost = cost,
        };

    public static UsageCost Cost(decimal input, decimal output) => new(input, 0m, 0m, output, 0m);

    /// <summary>Rolls records up exactly as the pipeline does: one rollup per key.</summary>
    public static List<UsageRollup> Rollups(IEnumerable<UsageRecord> records) =>
        records.GroupBy(UsageRollupKey.For)
            .Select(g => new UsageRollup(
                g.Key,
                g.Aggregate(TokenCounts.Zero, (sum, r) => sum + r.Tokens),
                g.Count(),
                g.Where(r => r.Cost is not null).Select(r => r.Cost!).Aggregate((UsageCost?)null, (sum, c) => sum is null ? c : sum + c),
                g.Count(r => r.Cost is null)))
            .ToList();

    public static UsageBatch Batch(string id, params UsageRecord[] records) => new(id, records, Rollups(records));
}
