namespace TokenAccounting;

/// <summary>
/// The price of one model from one provider, in US dollars per <b>million</b> tokens, effective from a date.
/// Decimal throughout: costs are exact, never rounded.
/// </summary>
/// <remarks>
/// <para>Unset parts have documented defaults: <see cref="CachedInput"/> and <see cref="CacheWrite"/> default to
/// <see cref="Input"/> (no discount, no premium), <see cref="CacheWriteLongTtl"/> to <see cref="CacheWrite"/>,
/// <see cref="Reasoning"/> to <see cref="Output"/>.</para>
/// <para>Optional: a <see cref="LongContext"/> tier that prices the whole request when its input exceeds a
/// threshold, and <see cref="Batch"/>, <see cref="Priority"/> and <see cref="Flex"/> service-tier variants (a
/// request in a service tier without a variant is priced at the base prices).</para>
/// </remarks>
/// <example>
/// <code>
/// var price = new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2.50m, CachedInput = 1.25m, Output = 10m };
/// UsageCost? cost = price.Cost(TokenCounts.FromOpenAI(promptTokens: 1_000, completionTokens: 200));
/// </code>
/// </example>
public sealed class ModelPrice
{
    private PriceCompiled? _compiled;

    /// <summary>Gets the model name, for example <c>"gpt-4o"</c>. Required, not empty. Matched case-insensitively.</summary>
    public required string Model
    {
        get => field;
        init
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value, nameof(Model));
            field = value;
        }
    }

    /// <summary>
    /// Gets the provider, for example <c>"openai"</c>, or null for a price that applies to the model whatever the
    /// provider. Provider names are normalized (see <c>docs/pricing-and-budgets.md</c>).
    /// </summary>
    public string? Provider { get; init; }

    /// <summary>Gets when this price took effect; null means it applies to every date (no earlier price is known).</summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    /// <summary>Gets the model's context window for input tokens, when known (used by <see cref="ContextWindowGuard"/>).</summary>
    public long? MaxInputTokens
    {
        get => field;
        init
        {
            if (value is { } v)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(v, nameof(MaxInputTokens));
            }

            field = value;
        }
    }

    /// <summary>Gets the price of uncached input tokens per million. Required, ≥ 0.</summary>
    public required decimal Input { get => field; init => field = PriceGuard.NotNegative(value, nameof(Input)); }

    /// <summary>Gets the price of input tokens read from a prompt cache per million, or null for <see cref="Input"/>.</summary>
    public decimal? CachedInput { get => field; init => field = PriceGuard.NotNegative(value, nameof(CachedInput)); }

    /// <summary>Gets the price of input tokens written to a prompt cache (5-minute TTL) per million, or null for <see cref="Input"/>.</summary>
    public decimal? CacheWrite { get => field; init => field = PriceGuard.NotNegative(value, nameof(CacheWrite)); }

    /// <summary>Gets the price of cache writes with a TTL of one hour or more per million, or null for <see cref="CacheWrite"/>.</summary>
    public decimal? CacheWriteLongTtl { get => field; init => field = PriceGuard.NotNegative(value, nameof(CacheWriteLongTtl)); }

    /// <summary>Gets the price of output tokens that are not reasoning tokens per million. Required, ≥ 0.</summary>
    public required decimal Output { get => field; init => field = PriceGuard.NotNegative(value, nameof(Output)); }

    /// <summary>Gets the price of reasoning tokens per million, or null for <see cref="Output"/>.</summary>
    public decimal? Reasoning { get => field; init => field = PriceGuard.NotNegative(value, nameof(Reasoning)); }

    /// <summary>Gets the long-context tier that prices the whole request above a number of input tokens, or null.</summary>
    public PriceTier? LongContext { get; init; }

    /// <summary>Gets the batch service tier's prices (<c>ServiceTier</c> <c>"batch"</c>), or null for the base prices.</summary>
    public ServiceTierPrice? Batch { get; init; }

    /// <summary>Gets the priority service tier's prices (<c>ServiceTier</c> <c>"priority"</c>), or null for the base prices.</summary>
    public ServiceTierPrice? Priority { get; init; }

    /// <summary>Gets the flex service tier's prices (<c>ServiceTier</c> <c>"flex"</c>), or null for the base prices.</summary>
    public ServiceTierPrice? Flex { get; init; }

    internal PriceCompiled Compiled => _compiled ??= PriceCompiled.From(this);

    /// <summary>
    /// Prices token counts: see <c>docs/pricing-and-budgets.md</c> for the exact formulas.
    /// </summary>
    /// <param name="tokens">The normalized counts.</param>
    /// <param name="serviceTier">The service tier (<c>"batch"</c>, <c>"priority"</c>, <c>"flex"</c>, case-insensitive), or null/anything else for the base prices.</param>
    /// <returns>The cost breakdown in US dollars.</returns>
    public UsageCost Cost(TokenCounts tokens, string? serviceTier = null) => Compiled.Select(serviceTier).Cost(tokens);

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"{Provider ?? "*"}/{Model} from {EffectiveFrom?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "always"}: in {Input}, out {Output} per 1M");
}
