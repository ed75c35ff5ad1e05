namespace TokenAccounting;

/// <summary>
/// A snapshot of the recorder's pipeline counters (see <see cref="UsageRecorder.GetDiagnostics"/>). Every
/// <c>Record()</c> call that returned is counted in <see cref="RecordsAccepted"/>, and for each sink it is exactly one
/// of: delivered, dropped, quarantined, rejected after dispose, or still buffered (in the sink's buffer or the ingest
/// queue):
/// <c>RecordsAccepted = sink.DeliveredRecords + sink.DroppedRecords + sink.QuarantinedRecords + RecordsRejectedAfterDispose + sink.BufferedRecords + QueueLength</c>.
/// The identity is exact whenever no record is moving between two of these states — after disposal, or after
/// <see cref="UsageRecorder.FlushAsync"/> with no concurrent <c>Record()</c>.
/// </summary>
/// <param name="RecordsAccepted">Records that passed validation in <c>Record()</c> (calls that returned), including those rejected after dispose.</param>
/// <param name="RecordsAggregated">Records priced and rolled up by the aggregator (including those that found the ingest queue full).</param>
/// <param name="RecordsFoldedOnQueueFull">Records that found the ingest queue full: the aggregator rolled them up exactly from a lock-free overflow list and dropped their details (counted per sink in <see cref="UsageSinkDiagnostics.DroppedOnQueueFull"/>).</param>
/// <param name="RecordsRejectedAfterDispose">Records given to <c>Record()</c> after the recorder was disposed: not recorded (a warning is logged once).</param>
/// <param name="StageFailures">Exceptions thrown by pricing, budget, metric or rollup stages (caught, logged once per episode; the record still reached the sinks), including rollup sums that saturated.</param>
/// <param name="QueueLength">Records waiting in the ingest queue or its overflow list, not yet aggregated.</param>
/// <param name="Sinks">Per-sink counters.</param>
public sealed record UsagePipelineDiagnostics(
    long RecordsAccepted,
    long RecordsAggregated,
    long RecordsFoldedOnQueueFull,
    long RecordsRejectedAfterDispose,
    long StageFailures,
    int QueueLength,
    IReadOnlyList<UsageSinkDiagnostics> Sinks)
{
    /// <summary>Gets the counters of the sink with <paramref name="name"/>, or null.</summary>
    public UsageSinkDiagnostics? Sink(string name) => Sinks.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));
}
