namespace TokenAccounting;

/// <summary>
/// What <see cref="UsageRecorder.Record"/> hands to the aggregator: the caller's record untouched (it is
/// immutable and the caller may keep it), the scope it was attributed to, and the facts the hot path fixed.
/// </summary>
/// <param name="Record">The record as given.</param>
/// <param name="Scope">The innermost open scope at record time, or null.</param>
/// <param name="OpenScopeMask">Bit i set when the i-th scope up the chain was open and received the record.</param>
/// <param name="CompletedAt">The record's completion time, stamped when absent.</param>
internal readonly record struct IngestItem(UsageRecord Record, UsageScope? Scope, ulong OpenScopeMask, DateTimeOffset CompletedAt);
