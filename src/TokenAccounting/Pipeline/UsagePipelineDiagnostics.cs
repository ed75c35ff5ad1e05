namespace TokenAccounting;

/// <summary>A snapshot of the recorder's pipeline counters (see <see cref="UsageRecorder.GetDiagnostics"/>).</summary>
/// <param name="RecordsAccepted">Records accepted by <c>Record()</c>.</param>
/// <param name="RecordsAggregated">Records priced and rolled up by the aggregator (including those folded on the slow path).</param>
/// <param name="RecordsFoldedOnQueueFull">Records the caller rolled up itself because the ingest queue was full (their details were dropped).</param>
/// <param name="RecordsRejectedAfterDispose">Records given to <c>Record()</c> after the recorder was disposed: not recorded (a warning is logged once).</param>
/// <param name="StageFailures">Exceptions thrown by pricing, budget or metric stages (caught and logged; the record still reached the sinks).</param>
/// <param name="QueueLength">Records waiting in the ingest queue.</param>
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
