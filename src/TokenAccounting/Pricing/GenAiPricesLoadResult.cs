namespace TokenAccounting;

/// <summary>What <see cref="GenAiPricesLoader"/> read from a genai-prices data file: prices, provider rules, and what it skipped and why.</summary>
public sealed class GenAiPricesLoadResult
{
    internal GenAiPricesLoadResult(IReadOnlyList<ModelPrice> prices, IReadOnlyList<PriceProvider> providers, IReadOnlyList<SkippedPriceEntry> skipped)
    {
        Prices = prices;
        Providers = providers;
        Skipped = skipped;
    }

    /// <summary>Gets the prices loaded (USD per million tokens), one per model and effective date, with their match rules.</summary>
    public IReadOnlyList<ModelPrice> Prices { get; }

    /// <summary>Gets the providers' model-name rules, provider-name rules and fallbacks.</summary>
    public IReadOnlyList<PriceProvider> Providers { get; }

    /// <summary>Gets the models left out because they cannot be represented exactly (never mis-priced), with the reason; named <c>provider/model-id</c>.</summary>
    public IReadOnlyList<SkippedPriceEntry> Skipped { get; }

    /// <summary>Creates a catalog of the loaded prices and provider rules.</summary>
    /// <param name="asOf">The date the data was collected, if known.</param>
    /// <returns>The catalog.</returns>
    public PriceCatalog ToCatalog(DateTimeOffset? asOf = null) => PriceCatalog.Create(Prices, asOf, Providers);
}
