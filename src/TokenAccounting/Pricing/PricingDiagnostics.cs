using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// Counts records the pipeline could not price because their model is unknown to the catalog (their
/// <see cref="UsageRecord.Cost"/> stays null). Thread-safe; read it from metrics or health checks.
/// </summary>
/// <remarks>
/// Every <see cref="PriceCatalog"/> owns one (<see cref="PriceCatalog.Diagnostics"/>); <c>AddPricing</c> registers
/// it as a singleton. Direct <see cref="IPriceCatalog.FindPrice"/> calls are not counted, only records priced by
/// the pipeline.
/// </remarks>
public sealed class PricingDiagnostics
{
    // Bounded so that a flood of distinct bogus model names cannot grow memory without limit.
    private const int MaxTrackedModels = 1_000;

    private readonly ConcurrentDictionary<string, StrongBox<long>> _byModel = new(StringComparer.Ordinal);
    private long _unpriced;
    private long _unpricedOther;

    // Only the library creates and counts: a PriceCatalog owns one, AddPricing registers it.
    internal PricingDiagnostics()
    {
    }

    /// <summary>Gets how many records could not be priced.</summary>
    public long UnpricedRecords => Interlocked.Read(ref _unpriced);

    /// <summary>
    /// Gets a snapshot of unpriced records per model (key <c>provider/model</c>, or <c>model</c> without a provider).
    /// Past 1,000 distinct names, further names are counted under <c>"(other)"</c>.
    /// </summary>
    public IReadOnlyDictionary<string, long> UnpricedByModel
    {
        get
        {
            var snapshot = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var pair in _byModel)
            {
                snapshot[pair.Key] = Interlocked.Read(ref pair.Value.Value);
            }

            var other = Interlocked.Read(ref _unpricedOther);
            if (other > 0)
            {
                snapshot["(other)"] = other;
            }

            return snapshot;
        }
    }

    /// <summary>Counts one record of an unknown model.</summary>
    /// <param name="provider">The record's provider, or null.</param>
    /// <param name="model">The record's model.</param>
    internal void CountUnpriced(string? provider, string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Interlocked.Increment(ref _unpriced);
        var key = provider is null ? model : string.Concat(provider, "/", model);
        if (_byModel.TryGetValue(key, out var box) || (_byModel.Count < MaxTrackedModels && (box = _byModel.GetOrAdd(key, static _ => new StrongBox<long>())) is not null))
        {
            Interlocked.Increment(ref box.Value);
        }
        else
        {
            Interlocked.Increment(ref _unpricedOther);
        }
    }
}
