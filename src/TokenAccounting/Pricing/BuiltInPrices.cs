namespace TokenAccounting;

/// <summary>Loads the embedded built-in catalog (Pricing/Resources/builtin-prices.json).</summary>
internal static class BuiltInPrices
{
    public const string ResourceName = "TokenAccounting.Pricing.BuiltInPrices.json";

    public static PriceCatalog Load()
    {
        using var stream = typeof(BuiltInPrices).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource '{ResourceName}' is missing from the TokenAccounting assembly.");
        return PriceCatalog.FromJson(stream);
    }
}
