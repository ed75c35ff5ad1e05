namespace TokenAccounting;

/// <summary>An enriched, priced record on its way from the aggregator to the sink workers (its rollup travels apart, summed per chunk).</summary>
/// <param name="Record">The final record.</param>
/// <param name="DetailDropped">True when the ingest queue was full: only the rollup is kept, the detail is dropped and counted.</param>
internal readonly record struct ProcessedRecord(UsageRecord Record, bool DetailDropped);
