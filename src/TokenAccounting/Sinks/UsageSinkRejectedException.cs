namespace TokenAccounting;

/// <summary>
/// Thrown by an <see cref="IUsageSink"/> when it can never write (part of) a batch as it stands: the data is at fault,
/// not the sink (a value its store cannot hold, an encoding error, an overflowing sum). Retrying the same batch cannot
/// succeed, so the pipeline does not: it splits the batch until the records and rollup keys at fault are isolated,
/// quarantines those (counted, logged, kept for inspection) and delivers everything else.
/// </summary>
/// <remarks>
/// Throw it from <see cref="IUsageSink.WriteAsync"/> only when nothing of the batch was applied. Name the offending
/// records in <see cref="RecordIds"/> when you know them: the pipeline then quarantines exactly those at once;
/// otherwise it bisects. Every other exception is either transient (retried with backoff, the same
/// <see cref="UsageBatch.BatchId"/>) or, when the same kind of failure repeats
/// <see cref="TokenAccountingOptions.SplitBatchAfterFailures"/> times in a row, split in the same way.
/// </remarks>
public sealed class UsageSinkRejectedException : Exception
{
    /// <summary>Creates the exception without naming the records at fault.</summary>
    public UsageSinkRejectedException()
        : this("The usage sink rejected the batch: it cannot write part of its data.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What the sink could not write, and why.</param>
    public UsageSinkRejectedException(string message)
        : this(message, innerException: null)
    {
    }

    /// <summary>Creates the exception with a message and the error it wraps.</summary>
    /// <param name="message">What the sink could not write, and why.</param>
    /// <param name="innerException">The store's error, or null.</param>
    public UsageSinkRejectedException(string message, Exception? innerException)
        : this(message, innerException, [])
    {
    }

    /// <summary>Creates the exception naming the records at fault.</summary>
    /// <param name="message">What the sink could not write, and why.</param>
    /// <param name="innerException">The store's error, or null.</param>
    /// <param name="recordIds">The <see cref="UsageRecord.Id"/>s of the records the sink cannot write; empty when unknown.</param>
    public UsageSinkRejectedException(string message, Exception? innerException, IReadOnlyList<string> recordIds)
        : base(message, innerException)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        RecordIds = recordIds;
    }

    /// <summary>Gets the ids of the records the sink cannot write; empty when the sink does not know which (the pipeline then bisects).</summary>
    public IReadOnlyList<string> RecordIds { get; }
}
