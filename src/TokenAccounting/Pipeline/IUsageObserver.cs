namespace TokenAccounting;

/// <summary>
/// A stage of the background aggregator that sees every record after enrichment and pricing (budget windows,
/// metrics). Called on the aggregator thread, one record at a time, never concurrently with itself; it must not wait
/// for I/O there (a stage that needs I/O hands the record to a background loop of its own and reports that loop's
/// failures through <see cref="BackgroundFailed"/>).
/// Exceptions are caught, logged and counted by the pipeline; they never reach <see cref="IUsageRecorder.Record"/>.
/// </summary>
internal interface IUsageObserver
{
    /// <summary>Sets where work done in the background reports failures; the pipeline counts and logs them as stage failures.</summary>
    Action<Exception>? BackgroundFailed
    {
        set
        {
        }
    }

    void OnRecord(UsageRecord record);

    /// <summary>
    /// Called after the last <see cref="OnRecord"/> of a drained chunk (up to a few hundred records), on the same
    /// thread: a stage that sums per chunk (the metrics' counters) publishes its sums here.
    /// </summary>
    void OnChunkEnd()
    {
    }

    /// <summary>Completes when work that <see cref="OnRecord"/> handed to the background before the call is done.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    Task DrainAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
