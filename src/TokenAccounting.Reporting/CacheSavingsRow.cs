namespace TokenAccounting.Reporting;

/// <summary>
/// What prompt caching saved on one model: the cached input tokens valued at the uncached input rate and at the cached
/// rate of the price catalog, each at the price in effect on the day the tokens were used.
/// </summary>
/// <remarks>Base rates only: long-context tiers and service-tier multipliers apply per request and are not in daily totals.</remarks>
public sealed class CacheSavingsRow
{
    internal CacheSavingsRow(string model, string? provider, long cachedInputTokens, long unpricedCachedInputTokens, decimal uncachedCost, decimal cachedCost)
    {
        Model = model;
        Provider = provider;
        CachedInputTokens = cachedInputTokens;
        UnpricedCachedInputTokens = unpricedCachedInputTokens;
        UncachedCost = uncachedCost;
        CachedCost = cachedCost;
    }

    /// <summary>Gets the model.</summary>
    public string Model { get; }

    /// <summary>Gets the provider, when known.</summary>
    public string? Provider { get; }

    /// <summary>Gets the cached input tokens (cache reads) of the model.</summary>
    public long CachedInputTokens { get; }

    /// <summary>Gets the cached input tokens on days the catalog had no price for the model (not valued).</summary>
    public long UnpricedCachedInputTokens { get; }

    /// <summary>Gets what the priced cached tokens would have cost at the uncached input rate, in US dollars.</summary>
    public decimal UncachedCost { get; }

    /// <summary>Gets what the priced cached tokens cost at the cached-input rate, in US dollars.</summary>
    public decimal CachedCost { get; }

    /// <summary>Gets <see cref="UncachedCost"/> − <see cref="CachedCost"/>: the money caching saved.</summary>
    public decimal Saved => UncachedCost - CachedCost;
}
