using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// Reports the delivery pipeline from <see cref="UsageRecorder.GetDiagnostics"/>: <c>Unhealthy</c> while details are
/// being dropped or a sink has failed for longer than <see cref="TokenAccountingHealthCheckOptions.FailingUnhealthyAfter"/>;
/// <c>Degraded</c> while a sink fails or retries, has quarantined items since the previous check, or its buffer is above the
/// threshold; otherwise <c>Healthy</c>.
/// </summary>
/// <remarks>
/// "Being dropped" and "failing" compare each snapshot with the previous check's (the first check compares with the
/// recorder's start): a sink is failing from the check that sees new failed attempts until one sees a delivered batch.
/// </remarks>
internal sealed class TokenAccountingHealthCheck(UsageRecorder recorder, TimeProvider timeProvider, TokenAccountingHealthCheckOptions options) : IHealthCheck
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SinkState> _previous = new(StringComparer.Ordinal);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var diagnostics = recorder.GetDiagnostics();
        var now = timeProvider.GetUtcNow();
        var degradedBuffer = Math.Max(1, (int)Math.Ceiling(recorder.Options.MaxBufferedRecords * options.BufferDegradedFraction));
        var unhealthy = new List<string>();
        var degraded = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["recordsAccepted"] = diagnostics.RecordsAccepted,
            ["recordsAggregated"] = diagnostics.RecordsAggregated,
            ["recordsFoldedOnQueueFull"] = diagnostics.RecordsFoldedOnQueueFull,
            ["stageFailures"] = diagnostics.StageFailures,
            ["queueLength"] = diagnostics.QueueLength,
        };

        lock (_gate)
        {
            foreach (var sink in diagnostics.Sinks)
            {
                var previous = _previous.TryGetValue(sink.Name, out var p) ? p : new SinkState(0, 0, 0, 0, null);
                var newFailures = sink.FailedAttempts > previous.FailedAttempts;
                var delivered = sink.DeliveredBatches > previous.DeliveredBatches;
                var pending = sink.BufferedRecords > 0 || sink.PendingRollups > 0;

                // Failing from the first check that sees new failed writes; a delivery restarts the clock (flaky) or,
                // without new failures, ends it; a sink waiting in back-off with work pending stays failing.
                DateTimeOffset? failingSince = newFailures
                    ? (delivered ? now : previous.FailingSince ?? now)
                    : (delivered || !pending ? null : previous.FailingSince);

                var droppedNow = sink.DroppedRecords - previous.Dropped;
                if (droppedNow > 0)
                {
                    unhealthy.Add($"{sink.Name} dropped {droppedNow} detail records");
                }

                if (failingSince is { } since)
                {
                    var failingFor = now - since;
                    (failingFor >= options.FailingUnhealthyAfter ? unhealthy : degraded).Add($"{sink.Name} is failing (for {failingFor:g}, {sink.FailedAttempts} failed attempts, {sink.Retries} retries)");
                }

                if (sink.BufferedRecords >= degradedBuffer)
                {
                    degraded.Add($"{sink.Name} buffers {sink.BufferedRecords} of at most {recorder.Options.MaxBufferedRecords} records");
                }

                // Quarantined items are kept for inspection and everything else flows: degraded, not unhealthy.
                var quarantined = sink.QuarantinedRecords + sink.QuarantinedRollups;
                var quarantinedNow = quarantined - previous.Quarantined;
                if (quarantinedNow > 0)
                {
                    degraded.Add($"{sink.Name} quarantined {quarantinedNow} items it could not write");
                }

                _previous[sink.Name] = new SinkState(sink.DeliveredBatches, sink.FailedAttempts, sink.DroppedRecords, quarantined, failingSince);
                data[sink.Name] = new Dictionary<string, object>(StringComparer.Ordinal)
                {
                    ["deliveredRecords"] = sink.DeliveredRecords,
                    ["deliveredBatches"] = sink.DeliveredBatches,
                    ["droppedRecords"] = sink.DroppedRecords,
                    ["droppedOnBufferFull"] = sink.DroppedOnBufferFull,
                    ["droppedOnQueueFull"] = sink.DroppedOnQueueFull,
                    ["failedAttempts"] = sink.FailedAttempts,
                    ["retries"] = sink.Retries,
                    ["bufferedRecords"] = sink.BufferedRecords,
                    ["pendingRollups"] = sink.PendingRollups,
                    ["quarantinedRecords"] = sink.QuarantinedRecords,
                    ["quarantinedRollups"] = sink.QuarantinedRollups,
                    ["failingSince"] = failingSince?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
                };
            }
        }

        var result = unhealthy.Count > 0
            ? new HealthCheckResult(context.Registration.FailureStatus, Join(unhealthy.Concat(degraded)), data: data)
            : degraded.Count > 0
                ? HealthCheckResult.Degraded(Join(degraded), data: data)
                : HealthCheckResult.Healthy($"{diagnostics.Sinks.Count} sinks delivering.", data);
        return Task.FromResult(result);
    }

    private static string Join(IEnumerable<string> parts) => string.Join("; ", parts) + ".";

    private readonly record struct SinkState(long DeliveredBatches, long FailedAttempts, long Dropped, long Quarantined, DateTimeOffset? FailingSince);
}
