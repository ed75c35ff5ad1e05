namespace TokenAccounting.AspNetCore;

/// <summary>What the dashboard shows of one sink: its counters and what changed since the dashboard's previous look.</summary>
internal sealed record SinkHealth(UsageSinkDiagnostics Sink, bool Failing, long DroppedSincePreviousLook, long QuarantinedSincePreviousLook)
{
    public string Status =>
        Failing ? "failing"
        : DroppedSincePreviousLook > 0 ? "dropping"
        : QuarantinedSincePreviousLook > 0 ? "quarantining"
        : "ok";
}

/// <summary>
/// Turns the recorder's cumulative counters into per-sink states, the way the health check does: a sink is failing
/// from the look that sees new failed writes until one sees a delivered batch (or nothing left to deliver); "dropping"
/// and "quarantining" mean the counters grew since the previous look (since the recorder started, at the first).
/// </summary>
internal sealed class PipelineHealthTracker
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (long Delivered, long Failed, long Dropped, long Quarantined, bool Failing)> _previous = new(StringComparer.Ordinal);

    public IReadOnlyList<SinkHealth> Look(UsagePipelineDiagnostics diagnostics)
    {
        var health = new List<SinkHealth>(diagnostics.Sinks.Count);
        lock (_gate)
        {
            foreach (var sink in diagnostics.Sinks)
            {
                var previous = _previous.TryGetValue(sink.Name, out var p) ? p : default;
                var newFailures = sink.FailedAttempts > previous.Failed;
                var delivered = sink.DeliveredBatches > previous.Delivered;
                var pending = sink.BufferedRecords > 0 || sink.PendingRollups > 0;
                var failing = newFailures ? !delivered || pending : !delivered && pending && previous.Failing;
                var quarantined = sink.QuarantinedRecords + sink.QuarantinedRollups;
                health.Add(new SinkHealth(sink, failing, sink.DroppedRecords - previous.Dropped, quarantined - previous.Quarantined));
                _previous[sink.Name] = (sink.DeliveredBatches, sink.FailedAttempts, sink.DroppedRecords, quarantined, failing);
            }
        }

        return health;
    }
}
