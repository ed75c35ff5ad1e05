namespace TokenAccounting;

/// <summary>
/// Records usage. <see cref="Record"/> is the hot path: it runs on the caller's thread, attributes the record to
/// the open <see cref="UsageScope"/>s, hands it to the delivery pipeline and returns. It throws only for bad
/// input (a record that violates its invariants), never because a sink, a price catalog or a budget store failed.
/// </summary>
public interface IUsageRecorder
{
    /// <summary>Records one call's usage.</summary>
    /// <param name="record">The record.</param>
    /// <exception cref="ArgumentNullException"><paramref name="record"/> is null.</exception>
    /// <exception cref="ArgumentException">The record violates its invariants; nothing is recorded.</exception>
    void Record(UsageRecord record);

    /// <summary>Delivers everything recorded before the call to every sink.</summary>
    /// <param name="cancellationToken">Stops waiting; undelivered records stay buffered and are retried.</param>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}
