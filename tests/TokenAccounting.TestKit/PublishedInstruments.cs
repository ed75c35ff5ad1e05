using System.Diagnostics.Metrics;

namespace TokenAccounting.TestKit;

/// <summary>
/// Lists the instruments published on a meter: what <c>MetricCollector&lt;T&gt;</c> (which follows one instrument and
/// collects its measurements) cannot tell, for tests that assert which instruments exist or that one exists once.
/// Collects no measurements.
/// </summary>
public sealed class PublishedInstruments : IDisposable
{
    private readonly object _gate = new();
    private readonly List<Instrument> _instruments = [];
    private readonly MeterListener _listener;

    /// <summary>Starts listening for the instruments of the meter named <paramref name="meterName"/>, those published already included.</summary>
    /// <param name="meterName">The meter's name.</param>
    /// <param name="scope">When not null, only meters whose <see cref="Meter.Scope"/> is this object (for example an <see cref="IMeterFactory"/>).</param>
    public PublishedInstruments(string meterName, object? scope = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(meterName);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == meterName && (scope is null || ReferenceEquals(instrument.Meter.Scope, scope)))
                {
                    lock (_gate)
                    {
                        _instruments.Add(instrument);
                    }
                }
            },
        };
        _listener.Start();
    }

    /// <summary>Gets a snapshot of the instruments published so far, in publication order.</summary>
    public IReadOnlyList<Instrument> Instruments
    {
        get
        {
            lock (_gate)
            {
                return [.. _instruments];
            }
        }
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => _listener.Dispose();
}
