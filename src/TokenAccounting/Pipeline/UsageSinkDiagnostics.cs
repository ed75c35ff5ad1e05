namespace TokenAccounting;

/// <summary>
/// Counters of one sink's delivery, as of the moment of the snapshot. Every record the pipeline aggregated is, for
/// each sink, exactly one of: delivered, dropped, quarantined or buffered
/// (<c>RecordsAggregated = DeliveredRecords + DroppedRecords + QuarantinedRecords + BufferedRecords</c>, exact whenever
/// no record is between two of these states, for example after <see cref="UsageRecorder.DisposeAsync"/>).
/// </summary>
/// <param name="Name">The sink's name (its type name, numbered when several sinks share a type).</param>
/// <param name="DeliveredRecords">Detail records the sink acknowledged.</param>
/// <param name="DeliveredBatches">Batches the sink acknowledged.</param>
/// <param name="DroppedOnBufferFull">Details dropped because the sink's buffer was at <see cref="TokenAccountingOptions.MaxBufferedRecords"/> (their rollups were kept).</param>
/// <param name="DroppedOnQueueFull">Details dropped because the ingest queue was full (their rollups were kept).</param>
/// <param name="FailedAttempts">Writes that threw or timed out.</param>
/// <param name="Retries">Writes retried after a failure.</param>
/// <param name="BufferedRecords">Details waiting for delivery, including the batch in flight.</param>
/// <param name="PendingRollups">Rollup keys waiting for delivery, including the batch in flight.</param>
/// <param name="QuarantinedRecords">Detail records this sink could never write, isolated from their batches and set aside (their rollups were still delivered).</param>
/// <param name="QuarantinedRollups">Rollup deltas this sink could never write (a key its store cannot hold), isolated and set aside; the other keys' deltas were delivered.</param>
public sealed record UsageSinkDiagnostics(
    string Name,
    long DeliveredRecords,
    long DeliveredBatches,
    long DroppedOnBufferFull,
    long DroppedOnQueueFull,
    long FailedAttempts,
    long Retries,
    int BufferedRecords,
    int PendingRollups,
    long QuarantinedRecords = 0,
    long QuarantinedRollups = 0)
{
    /// <summary>Gets all details dropped for this sink, whatever the reason.</summary>
    public long DroppedRecords => DroppedOnBufferFull + DroppedOnQueueFull;
}
