namespace TokenAccounting;

/// <summary>The pipeline's pricing stage: one call per record on the aggregator thread.</summary>
internal static class UsagePricing
{
    /// <summary>
    /// Prices a record with its provider, model, service tier and tokens at its completion time (the latest price
    /// when <see cref="UsageRecord.CompletedAt"/> is null). Unknown models return null and are counted in the
    /// catalog's <see cref="PricingDiagnostics"/> when it is a <see cref="PriceCatalog"/>. Allocates only the result.
    /// </summary>
    public static UsageCost? Price(IPriceCatalog catalog, UsageRecord record) =>
        Price(catalog, record, (catalog as PriceCatalog)?.Diagnostics);

    /// <summary>As <see cref="Price(IPriceCatalog, UsageRecord)"/>, counting unknown models into <paramref name="diagnostics"/>.</summary>
    public static UsageCost? Price(IPriceCatalog catalog, UsageRecord record, PricingDiagnostics? diagnostics)
    {
        // The standard catalog without the interface call, and without converting a missing completion time.
        var price = catalog is PriceCatalog standard
            ? standard.Find(record.Provider, record.Model, record.CompletedAt)
            : catalog.FindPrice(record.Provider, record.Model, record.CompletedAt ?? DateTimeOffset.MaxValue);
        if (price is null)
        {
            diagnostics?.CountUnpriced(record.Provider, record.Model);
            return null;
        }

        return price.Compiled.Cost(record);
    }

    /// <summary>The record's usage beyond text tokens: its audio parts and <see cref="UsageRecord.ServerToolCalls"/>.</summary>
    internal static BillableExtras Extras(UsageRecord record) => BillableExtras.Of(record.Tokens, record.ServerToolCalls);
}
