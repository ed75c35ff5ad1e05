namespace TokenAccounting;

/// <summary>
/// Finds the price of a model. The default implementation is <see cref="PriceCatalog"/> (built-in, LiteLLM file,
/// overrides); implement this to price from your own source. Implementations must be thread-safe and fast: the
/// pipeline calls them once per record on its background thread.
/// </summary>
public interface IPriceCatalog
{
    /// <summary>
    /// Finds the newest price of <paramref name="model"/> from <paramref name="provider"/> whose effective date is not
    /// later than <paramref name="asOf"/>.
    /// </summary>
    /// <param name="provider">The provider, for example <c>"openai"</c>, or null when unknown.</param>
    /// <param name="model">The model as the caller named it, for example <c>"openai/gpt-4o-2024-08-06"</c>.</param>
    /// <param name="asOf">The moment to price at, normally the record's completion time.</param>
    /// <returns>The price, or null when the model is unknown (never a guess).</returns>
    ModelPrice? FindPrice(string? provider, string model, DateTimeOffset asOf);
}
