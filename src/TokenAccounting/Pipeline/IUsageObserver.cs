namespace TokenAccounting;

/// <summary>
/// A stage of the background aggregator that sees every record after enrichment and pricing (budget windows,
/// metrics). Called on the aggregator thread, one record at a time, never concurrently with itself.
/// Exceptions are caught, logged and counted by the pipeline; they never reach <see cref="IUsageRecorder.Record"/>.
/// </summary>
internal interface IUsageObserver
{
    void OnRecord(UsageRecord record);
}
