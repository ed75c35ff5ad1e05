namespace TokenAccounting;

/// <summary>
/// Where <c>AddPricing</c> gets prices. Layers, lowest first: the built-in catalog (when
/// <see cref="IncludeBuiltIn"/>), then the genai-prices file, then the LiteLLM file, then <see cref="Overrides"/> in order (configuration
/// overrides and code overrides are both added here, in registration order). A higher layer replaces every price
/// of the same model and provider below it (<see cref="PriceCatalog.WithOverrides(IEnumerable{ModelPrice})"/>).
/// </summary>
public sealed class PricingOptions
{
    /// <summary>Gets or sets whether the built-in catalog is the bottom layer.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool IncludeBuiltIn { get; set; } = true;

    /// <summary>Gets or sets the path of a genai-prices data file (<c>prices/data.json</c> of pydantic/genai-prices) to load, or null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? GenAiPricesFilePath { get; set; }

    /// <summary>Gets or sets the path of a LiteLLM <c>model_prices_and_context_window.json</c> file to load, or null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? LiteLlmFilePath { get; set; }

    /// <summary>Gets the prices that replace catalog prices of the same model and provider.</summary>
    /// <value>The default value is an empty list.</value>
    public IList<ModelPrice> Overrides { get; } = [];
}
