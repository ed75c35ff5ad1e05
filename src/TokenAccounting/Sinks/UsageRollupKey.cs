namespace TokenAccounting;

/// <summary>The dimensions that rollups are summed over.</summary>
/// <param name="Date">The UTC date of the records' <see cref="UsageRecord.CompletedAt"/>.</param>
/// <param name="Model">The requested model.</param>
/// <param name="Provider">The provider, when known.</param>
/// <param name="Operation">The kind of call.</param>
/// <param name="UserId">The user, when known.</param>
/// <param name="TenantId">The tenant, when known.</param>
/// <param name="ApiKeyId">The API key id, when known.</param>
public readonly record struct UsageRollupKey(
    DateOnly Date,
    string Model,
    string? Provider,
    UsageOperation Operation,
    string? UserId,
    string? TenantId,
    string? ApiKeyId)
{
    /// <summary>Gets the key a record rolls up into.</summary>
    /// <param name="record">A record whose <see cref="UsageRecord.CompletedAt"/> is set.</param>
    public static UsageRollupKey For(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var completed = record.CompletedAt ?? throw new ArgumentException("UsageRecord.CompletedAt must be set to compute its rollup key.", nameof(record));
        return For(record, completed);
    }

    /// <summary>The key <paramref name="record"/> rolls up into when it completed at <paramref name="completedAt"/> (the pipeline's, for a record whose completion time the hot path fixed without copying it in).</summary>
    internal static UsageRollupKey For(UsageRecord record, DateTimeOffset completedAt) => new(
        DateOnly.FromDateTime(completedAt.UtcDateTime),
        record.Model,
        record.Provider,
        record.Operation,
        record.UserId,
        record.TenantId,
        record.ApiKeyId);
}
