namespace TokenAccounting;

/// <summary>An enriched, priced record on its way from the aggregator to the sink workers.</summary>
/// <param name="Record">The final record.</param>
/// <param name="Key">Its rollup key.</param>
/// <param name="DetailDropped">True when the ingest queue was full: only the rollup is kept, the detail is dropped and counted.</param>
internal readonly record struct ProcessedRecord(UsageRecord Record, UsageRollupKey Key, bool DetailDropped);
