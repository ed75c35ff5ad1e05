namespace TokenAccounting;

/// <summary>One parsed ledger line: a detail record or a rollup delta, with the schema version and batch id it was written with.</summary>
/// <param name="Version">The line's schema version (<c>"v"</c>).</param>
/// <param name="BatchId">The batch the line was written in; null on hand-written lines without one.</param>
/// <param name="Record">The detail record; null on a rollup line.</param>
/// <param name="Rollup">The rollup delta; null on a detail line.</param>
internal readonly record struct JsonLinesLedgerEntry(int Version, string? BatchId, UsageRecord? Record, UsageRollup? Rollup);
