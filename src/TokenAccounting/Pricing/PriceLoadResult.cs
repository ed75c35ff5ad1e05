namespace TokenAccounting;

/// <summary>
/// What a price loader read from a price file (<see cref="GenAiPricesLoader"/>, <see cref="LiteLlmPriceLoader"/>):
/// the prices, the provider rules the format carries, and what was skipped and why.
/// </summary>
public sealed class PriceLoadResult
{
    internal PriceLoadResult(IReadOnlyList<ModelPrice> prices, IReadOnlyList<PriceProvider> providers, IReadOnlyList<SkippedPriceEntry> skipped, int nonTextPricesIgnored)
    {
        Prices = prices;
        Providers = providers;
        Skipped = skipped;
        NonTextPricesIgnored = nonTextPricesIgnored;
    }

    /// <summary>Gets the prices loaded (USD per million tokens), one per model and effective date, with their match rules.</summary>
    public IReadOnlyList<ModelPrice> Prices { get; }

    /// <summary>
    /// Gets the providers' model-name rules, provider-name rules and fallbacks (genai-prices files carry them;
    /// empty for LiteLLM files).
    /// </summary>
    public IReadOnlyList<PriceProvider> Providers { get; }

    /// <summary>
    /// Gets the entries left out because they cannot be represented exactly (never mis-priced), with the reason
    /// (genai-prices entries are named <c>provider/model-id</c>).
    /// </summary>
    public IReadOnlyList<SkippedPriceEntry> Skipped { get; }

    /// <summary>
    /// Gets how many loaded LiteLLM entries also list non-text prices (audio, image or video input, per-second,
    /// per-query search); those are not represented — records are priced as text tokens. Always 0 for genai-prices
    /// files, whose non-token prices make the model skipped instead.
    /// </summary>
    public int NonTextPricesIgnored { get; }

    /// <summary>Creates a catalog of the loaded prices and provider rules.</summary>
    /// <param name="asOf">The date the data was collected, if known.</param>
    /// <returns>The catalog.</returns>
    public PriceCatalog ToCatalog(DateTimeOffset? asOf = null) => PriceCatalog.Create(Prices, asOf, Providers);
}
