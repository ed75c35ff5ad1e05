using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>
/// A per-test <see cref="IMeterFactory"/> (from <c>AddMetrics()</c>) and one <see cref="MetricCollector{T}"/> per
/// TokenAccounting instrument scoped to it, so measurements of recorders in parallel tests never mix. Create the
/// recorder after this and dispose it before.
/// </summary>
internal sealed class IsolatedMeters : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IDisposable> _collectors = [];
    private readonly List<Func<IEnumerable<(string Instrument, IReadOnlyDictionary<string, object?> Tags)>>> _snapshots = [];

    public IsolatedMeters()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Factory = _services.GetRequiredService<IMeterFactory>();
        Published = new PublishedInstruments(TokenAccountingDiagnostics.MeterName, Factory);
        TokenUsage = Collect<long>(TokenAccountingDiagnostics.TokenUsageInstrument);
        Tokens = Collect<long>(TokenAccountingDiagnostics.TokensInstrument);
        Cost = Collect<double>(TokenAccountingDiagnostics.CostInstrument);
        Unpriced = Collect<long>(TokenAccountingDiagnostics.UnpricedRecordsInstrument);
        Dropped = Collect<long>(TokenAccountingDiagnostics.RecordsDroppedInstrument);
        Quarantined = Collect<long>(TokenAccountingDiagnostics.RecordsQuarantinedInstrument);
        SinkFailures = Collect<long>(TokenAccountingDiagnostics.SinkFailuresInstrument);
        FlushDuration = Collect<double>(TokenAccountingDiagnostics.SinkFlushDurationInstrument);
        BudgetDenials = Collect<long>(TokenAccountingDiagnostics.BudgetDenialsInstrument);
        BufferedRecords = Collect<long>(TokenAccountingDiagnostics.BufferedRecordsInstrument);
    }

    public IMeterFactory Factory { get; }

    /// <summary>Gets the instruments published on the factory's TokenAccounting meter.</summary>
    public PublishedInstruments Published { get; }

    public MetricCollector<long> TokenUsage { get; }

    public MetricCollector<long> Tokens { get; }

    public MetricCollector<double> Cost { get; }

    public MetricCollector<long> Unpriced { get; }

    public MetricCollector<long> Dropped { get; }

    public MetricCollector<long> Quarantined { get; }

    public MetricCollector<long> SinkFailures { get; }

    public MetricCollector<double> FlushDuration { get; }

    public MetricCollector<long> BudgetDenials { get; }

    /// <summary>Gets the collector of the observable gauge: call its <c>RecordObservableInstruments()</c> to observe it.</summary>
    public MetricCollector<long> BufferedRecords { get; }

    /// <summary>Gets every measurement of every TokenAccounting instrument so far, with its instrument's name.</summary>
    public IReadOnlyList<(string Instrument, IReadOnlyDictionary<string, object?> Tags)> AllMeasurements() => [.. _snapshots.SelectMany(s => s())];

    public UsageRecorder CreateRecorder(
        TokenAccountingOptions? options = null,
        Func<UsageRecord, UsageCost?>? pricer = null,
        TimeProvider? time = null,
        params IUsageSink[] sinks) =>
        new(sinks, options, time, loggerFactory: null, Factory, pricer, observers: null);

    public void Dispose()
    {
        _collectors.ForEach(c => c.Dispose());
        Published.Dispose();
        _services.Dispose();
    }

    private MetricCollector<T> Collect<T>(string instrument)
        where T : struct
    {
        var collector = new MetricCollector<T>(Factory, TokenAccountingDiagnostics.MeterName, instrument);
        _collectors.Add(collector);
        _snapshots.Add(() => collector.GetMeasurementSnapshot().Select(m => (instrument, m.Tags)));
        return collector;
    }
}
