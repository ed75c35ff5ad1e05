namespace TokenAccounting;

/// <summary>
/// Re-prices stored records against another catalog (for example after a price change or a negotiated discount)
/// and reports the old total, the new total and the delta per model. Each record is priced at its own
/// <see cref="UsageRecord.CompletedAt"/>.
/// </summary>
public static class UsageRepricer
{
    /// <summary>Re-prices records whose old cost is their stored <see cref="UsageRecord.Cost"/>.</summary>
    /// <param name="records">The records, for example read back from a ledger.</param>
    /// <param name="catalog">The catalog that gives the new cost.</param>
    /// <returns>The report.</returns>
    public static RepricingReport Reprice(IEnumerable<UsageRecord> records, IPriceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return Compare(records, static r => r.Cost, r => Price(catalog, r));
    }

    /// <summary>Re-prices records against two catalogs: old cost from <paramref name="oldCatalog"/>, new from <paramref name="newCatalog"/>.</summary>
    /// <param name="records">The records.</param>
    /// <param name="oldCatalog">The catalog that gives the old cost.</param>
    /// <param name="newCatalog">The catalog that gives the new cost.</param>
    /// <returns>The report.</returns>
    public static RepricingReport Reprice(IEnumerable<UsageRecord> records, IPriceCatalog oldCatalog, IPriceCatalog newCatalog)
    {
        ArgumentNullException.ThrowIfNull(oldCatalog);
        ArgumentNullException.ThrowIfNull(newCatalog);
        return Compare(records, r => Price(oldCatalog, r), r => Price(newCatalog, r));
    }

    /// <summary>Returns the records with <see cref="UsageRecord.Cost"/> replaced by the cost from <paramref name="catalog"/> (null when unknown).</summary>
    /// <param name="records">The records.</param>
    /// <param name="catalog">The catalog.</param>
    /// <returns>The re-priced records, lazily.</returns>
    public static IEnumerable<UsageRecord> WithCost(IEnumerable<UsageRecord> records, IPriceCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(catalog);
        return records.Select(r => r with { Cost = Price(catalog, r) });
    }

    private static UsageCost? Price(IPriceCatalog catalog, UsageRecord record) => UsagePricing.Price(catalog, record, diagnostics: null);

    private static RepricingReport Compare(IEnumerable<UsageRecord> records, Func<UsageRecord, UsageCost?> oldCost, Func<UsageRecord, UsageCost?> newCost)
    {
        ArgumentNullException.ThrowIfNull(records);
        var byModel = new Dictionary<(string Model, string? Provider), (long Records, decimal Old, decimal New, long UnpricedBefore, long UnpricedAfter)>();
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            var key = (record.Model, record.Provider);
            byModel.TryGetValue(key, out var sums);
            var before = oldCost(record);
            var after = newCost(record);
            byModel[key] = (
                sums.Records + 1,
                sums.Old + (before?.Total ?? 0m),
                sums.New + (after?.Total ?? 0m),
                sums.UnpricedBefore + (before is null ? 1 : 0),
                sums.UnpricedAfter + (after is null ? 1 : 0));
        }

        var models = byModel
            .OrderBy(p => p.Key.Model, StringComparer.Ordinal)
            .ThenBy(p => p.Key.Provider, StringComparer.Ordinal)
            .Select(p => new ModelCostChange(p.Key.Model, p.Key.Provider, p.Value.Records, p.Value.Old, p.Value.New, p.Value.UnpricedBefore, p.Value.UnpricedAfter))
            .ToArray();
        return new RepricingReport(models);
    }
}
