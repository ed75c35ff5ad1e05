namespace TokenAccounting;

/// <summary>
/// One delivery to one sink: detail records and the rollup deltas accumulated since the previous batch
/// delivered to that sink. A sink that adds rollups into its store obtains exact totals even when details
/// were dropped under memory pressure.
/// </summary>
public sealed class UsageBatch
{
    /// <summary>Creates a batch.</summary>
    /// <param name="batchId">An id that stays the same across retries of this batch.</param>
    /// <param name="records">The detail records.</param>
    /// <param name="rollups">The rollup deltas.</param>
    public UsageBatch(string batchId, IReadOnlyList<UsageRecord> records, IReadOnlyList<UsageRollup> rollups)
    {
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(rollups);
        BatchId = batchId;
        Records = records;
        Rollups = rollups;
    }

    /// <summary>Gets the batch id, stable across retries of the same batch and unique otherwise.</summary>
    public string BatchId { get; }

    /// <summary>Gets the detail records.</summary>
    public IReadOnlyList<UsageRecord> Records { get; }

    /// <summary>Gets the rollup deltas: add them to what the sink already holds.</summary>
    public IReadOnlyList<UsageRollup> Rollups { get; }
}
