namespace TokenAccounting;

/// <summary>
/// What a <see cref="PriceCatalog"/> knows about one provider beyond its prices (the provider entries of the
/// genai-prices data): which model names belong to it when a record names no provider, which provider names mean
/// it, and whose prices it falls back to for models it does not list (Azure offers OpenAI's models at OpenAI's
/// prices).
/// </summary>
public sealed class PriceProvider
{
    /// <summary>Gets the provider's name as the catalog's prices use it (normalized, for example <c>"openai"</c>). Required.</summary>
    public required string Name
    {
        get => field;
        init
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(Name));
            field = value;
        }
    }

    /// <summary>Gets the rule that tells a record without a provider belongs to this one by its model name (<c>model_match</c>), or null.</summary>
    public NameMatch? ModelMatch { get; init; }

    /// <summary>Gets the rule that tells a provider name means this provider (<c>provider_match</c>, tested on the lower-cased name), or null.</summary>
    public NameMatch? ProviderMatch { get; init; }

    /// <summary>Gets the providers whose prices apply, in order, to models this provider does not list (<c>fallback_model_providers</c>).</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<string> Fallbacks
    {
        get => field;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Fallbacks));
            field = value;
        }
    } = [];
}
