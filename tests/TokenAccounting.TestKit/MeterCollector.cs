using System.Diagnostics.Metrics;
using Shouldly;

namespace TokenAccounting.TestKit;

/// <summary>
/// A hand-written <see cref="MeterListener"/> collector: captures every measurement of the instruments of one meter
/// (by name, and optionally only the meter created for one scope, e.g. an <see cref="IMeterFactory"/>), with the
/// instrument's name and unit, the tags and the value. Thread-safe: instruments record on background threads.
/// </summary>
public sealed class MeterCollector : IDisposable
{
    private readonly string _meterName;
    private readonly object? _scope;
    private readonly MeterListener _listener;
    private readonly object _gate = new();
    private readonly List<Measurement> _measurements = [];
    private readonly List<Instrument> _instruments = [];
    private bool _disposed;

    /// <summary>Starts listening to the meter named <paramref name="meterName"/>.</summary>
    /// <param name="meterName">The meter's name.</param>
    /// <param name="scope">When not null, only meters whose <see cref="Meter.Scope"/> is this object (by reference).</param>
    public MeterCollector(string meterName, object? scope = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(meterName);
        _meterName = meterName;
        _scope = scope;
        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<float>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    /// <summary>Gets a snapshot of the instruments this collector subscribed to, in publication order.</summary>
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

    /// <summary>Gets a snapshot of all measurements so far, in arrival order.</summary>
    public IReadOnlyList<Measurement> Measurements
    {
        get
        {
            lock (_gate)
            {
                return [.. _measurements];
            }
        }
    }

    /// <summary>Gets the subscribed instrument named <paramref name="name"/>; fails when there is none or several.</summary>
    public Instrument Instrument(string name) => Instruments.Where(i => i.Name == name).ShouldHaveSingleItem($"instrument {name}");

    /// <summary>Gets the measurements of the instrument named <paramref name="name"/>.</summary>
    public IReadOnlyList<Measurement> For(string name) => [.. Measurements.Where(m => m.Name == name)];

    /// <summary>Gets the measurements of <paramref name="name"/> whose tag <paramref name="tag"/> equals <paramref name="value"/>.</summary>
    public IReadOnlyList<Measurement> For(string name, string tag, object? value) =>
        [.. Measurements.Where(m => m.Name == name && m.Tags.TryGetValue(tag, out var v) && Equals(v, value))];

    /// <summary>Invokes the callbacks of the subscribed observable instruments (gauges), capturing what they report.</summary>
    public void RecordObservableInstruments() => _listener.RecordObservableInstruments();

    /// <summary>Stops listening; measurements captured so far stay readable.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _listener.Dispose();
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (instrument.Meter.Name != _meterName || (_scope is not null && !ReferenceEquals(instrument.Meter.Scope, _scope)))
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _instruments.Add(instrument);
        }

        listener.EnableMeasurementEvents(instrument);
    }

    private void Add<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct
    {
        var copy = new Dictionary<string, object?>(tags.Length, StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy.Add(tag.Key, tag.Value);
        }

        lock (_gate)
        {
            if (!_disposed)
            {
                _measurements.Add(new Measurement(instrument, value, copy));
            }
        }
    }

    /// <summary>One captured measurement.</summary>
    /// <param name="Instrument">The instrument that recorded it.</param>
    /// <param name="Value">The value, boxed as the instrument's type (<see cref="long"/>, <see cref="double"/>…).</param>
    /// <param name="Tags">The tags, copied.</param>
    public sealed record Measurement(Instrument Instrument, object Value, IReadOnlyDictionary<string, object?> Tags)
    {
        /// <summary>Gets the instrument's name.</summary>
        public string Name => Instrument.Name;

        /// <summary>Gets the instrument's unit.</summary>
        public string? Unit => Instrument.Unit;

        /// <summary>Gets the value as a double, whatever the instrument's type.</summary>
        public double AsDouble => Convert.ToDouble(Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
