namespace TokenAccounting;

/// <summary>
/// Answers <see cref="UsageQuery"/>s over a sequence of detail records (for example what a test captured, or what a
/// JSON-lines reader yields). The sequence is enumerated once per query, so a live sequence is seen as it is then.
/// </summary>
/// <remarks>
/// Always answers from details (<see cref="UsageQuerySource.Details"/>); records without
/// <see cref="UsageRecord.CompletedAt"/> are skipped. An empty dimension value counts as no value, as in the SQL ledgers.
/// </remarks>
public sealed class InMemoryUsageQuery : IUsageQuery
{
    private readonly IEnumerable<UsageRecord> _records;

    /// <summary>Creates a query over <paramref name="records"/>.</summary>
    /// <param name="records">The detail records; enumerated on every query.</param>
    public InMemoryUsageQuery(IEnumerable<UsageRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        _records = records;
    }

    /// <inheritdoc />
    public ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        var groups = new Dictionary<GroupKey, Accumulator>();
        foreach (var record in _records)
        {
            if (record.CompletedAt is not { } completed || completed < query.From || completed >= query.To || !Matches(query, record))
            {
                continue;
            }

            var key = new GroupKey(
                query.IsGroupedBy(UsageDimension.Date) ? DateOnly.FromDateTime(completed.UtcDateTime) : null,
                query.IsGroupedBy(UsageDimension.Model) ? Normalize(record.Model) : null,
                query.IsGroupedBy(UsageDimension.Provider) ? Normalize(record.Provider) : null,
                query.IsGroupedBy(UsageDimension.Operation) ? record.Operation.Value.ToLowerInvariant() : null,
                query.IsGroupedBy(UsageDimension.User) ? Normalize(record.UserId) : null,
                query.IsGroupedBy(UsageDimension.Tenant) ? Normalize(record.TenantId) : null,
                query.IsGroupedBy(UsageDimension.ApiKey) ? Normalize(record.ApiKeyId) : null);
            if (!groups.TryGetValue(key, out var accumulator))
            {
                accumulator = new Accumulator();
                groups.Add(key, accumulator);
            }

            accumulator.Add(record);
        }

        if (query.GroupBy.Count == 0 && groups.Count == 0)
        {
            groups.Add(default, new Accumulator());
        }

        var rows = groups.Select(g => new UsageQueryRow
        {
            Date = g.Key.Date,
            Model = g.Key.Model,
            Provider = g.Key.Provider,
            Operation = g.Key.Operation is { } operation ? new UsageOperation(operation) : null,
            UserId = g.Key.UserId,
            TenantId = g.Key.TenantId,
            ApiKeyId = g.Key.ApiKeyId,
            Tokens = g.Value.Tokens,
            RequestCount = g.Value.Requests,
            Cost = g.Value.Cost,
            UnpricedRequestCount = g.Value.Unpriced,
        });
        return ValueTask.FromResult(UsageQueryResult.Create(query, rows, UsageQuerySource.Details));
    }

    private static bool Matches(UsageQuery query, UsageRecord record) =>
        (query.Model is null || string.Equals(query.Model, Normalize(record.Model), StringComparison.Ordinal))
        && (query.Provider is null || string.Equals(query.Provider, Normalize(record.Provider), StringComparison.Ordinal))
        && (query.Operation is null || query.Operation.Value == record.Operation)
        && (query.UserId is null || string.Equals(query.UserId, Normalize(record.UserId), StringComparison.Ordinal))
        && (query.TenantId is null || string.Equals(query.TenantId, Normalize(record.TenantId), StringComparison.Ordinal))
        && (query.ApiKeyId is null || string.Equals(query.ApiKeyId, Normalize(record.ApiKeyId), StringComparison.Ordinal));

    private static string? Normalize(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private readonly record struct GroupKey(DateOnly? Date, string? Model, string? Provider, string? Operation, string? UserId, string? TenantId, string? ApiKeyId);

    private sealed class Accumulator
    {
        public TokenCounts Tokens { get; private set; }

        public long Requests { get; private set; }

        public long Unpriced { get; private set; }

        public UsageCost? Cost { get; private set; }

        public void Add(UsageRecord record)
        {
            Tokens += record.Tokens;
            Requests++;
            if (record.Cost is { } cost)
            {
                Cost = Cost is null ? cost : Cost + cost;
            }
            else
            {
                Unpriced++;
            }
        }
    }
}
