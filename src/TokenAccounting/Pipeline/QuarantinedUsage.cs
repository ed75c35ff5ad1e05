namespace TokenAccounting;

/// <summary>
/// A detail record or a rollup delta that one sink can never write, isolated from its batch and set aside so that
/// everything else keeps flowing (see <see cref="UsageRecorder.GetQuarantine"/>). Exactly one of <see cref="Record"/>
/// and <see cref="Rollup"/> is set.
/// </summary>
public sealed class QuarantinedUsage
{
    internal QuarantinedUsage(string sink, string batchId, UsageRecord? record, UsageRollup? rollup, string reason, DateTimeOffset quarantinedAt)
    {
        Sink = sink;
        BatchId = batchId;
        Record = record;
        Rollup = rollup;
        Reason = reason;
        QuarantinedAt = quarantinedAt;
    }

    /// <summary>Gets the name of the sink that could not write it (as in <see cref="UsageSinkDiagnostics.Name"/>).</summary>
    public string Sink { get; }

    /// <summary>Gets the id of the last (single-item) batch that failed with it.</summary>
    public string BatchId { get; }

    /// <summary>Gets the detail record, or null when a rollup delta was quarantined.</summary>
    public UsageRecord? Record { get; }

    /// <summary>Gets the rollup delta (its key and the sums it carried), or null when a detail record was quarantined.</summary>
    public UsageRollup? Rollup { get; }

    /// <summary>Gets why: the type and message of the sink's error.</summary>
    public string Reason { get; }

    /// <summary>Gets when it was quarantined (the recorder's clock).</summary>
    public DateTimeOffset QuarantinedAt { get; }

    /// <inheritdoc />
    public override string ToString() => Record is { } record
        ? $"{Sink}: record {record.Id} ({Reason})"
        : $"{Sink}: rollup {Rollup} ({Reason})";
}
