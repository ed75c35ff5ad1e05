namespace TokenAccounting;

/// <summary>What <see cref="LiteLlmPriceLoader"/> read from a LiteLLM price file: the prices, and what it skipped and why.</summary>
public sealed class LiteLlmLoadResult
{
    internal LiteLlmLoadResult(IReadOnlyList<ModelPrice> prices, IReadOnlyList<SkippedPriceEntry> skipped, int nonTextPricesIgnored)
    {
        Prices = prices;
        Skipped = skipped;
        NonTextPricesIgnored = nonTextPricesIgnored;
    }

    /// <summary>Gets the prices loaded (USD per million tokens).</summary>
    public IReadOnlyList<ModelPrice> Prices { get; }

    /// <summary>Gets the entries left out because they cannot be represented exactly (never mis-priced), with the reason.</summary>
    public IReadOnlyList<SkippedPriceEntry> Skipped { get; }

    /// <summary>
    /// Gets how many loaded entries also list non-text prices (audio, image or video input, per-second, per-query
    /// search); those are not represented — records are priced as text tokens.
    /// </summary>
    public int NonTextPricesIgnored { get; }

    /// <summary>Creates a catalog of the loaded prices.</summary>
    /// <returns>The catalog.</returns>
    public PriceCatalog ToCatalog() => PriceCatalog.Create(Prices);
}
