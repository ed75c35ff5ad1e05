using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>
/// A per-test <see cref="IMeterFactory"/> (from <c>AddMetrics()</c>) and a collector scoped to it, so measurements of
/// recorders in parallel tests never mix. Create the recorder after this and dispose it before.
/// </summary>
internal sealed class IsolatedMeters : IDisposable
{
    private readonly ServiceProvider _services;

    public IsolatedMeters()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        Factory = _services.GetRequiredService<IMeterFactory>();
        Collector = new MeterCollector(TokenAccountingDiagnostics.MeterName, Factory);
    }

    public IMeterFactory Factory { get; }

    public MeterCollector Collector { get; }

    public UsageRecorder CreateRecorder(
        TokenAccountingOptions? options = null,
        Func<UsageRecord, UsageCost?>? pricer = null,
        TimeProvider? time = null,
        params IUsageSink[] sinks) =>
        new(sinks, options, time, loggerFactory: null, Factory, pricer, observers: null);

    public void Dispose()
    {
        Collector.Dispose();
        _services.Dispose();
    }
}
