namespace TokenAccounting;

/// <summary>
/// The price of one model from one provider, in US dollars per <b>million</b> tokens, effective from a date.
/// Decimal throughout: costs are exact, never rounded.
/// </summary>
/// <remarks>
/// <para>Unset parts have documented defaults: <see cref="CachedInput"/> and <see cref="CacheWrite"/> default to
/// <see cref="Input"/> (no discount, no premium), <see cref="CacheWriteLongTtl"/> to <see cref="CacheWrite"/>,
/// <see cref="Reasoning"/> to <see cref="Output"/>, <see cref="InputAudio"/> to <see cref="Input"/>,
/// <see cref="OutputAudio"/> to <see cref="Output"/>, <see cref="CachedInputAudio"/> to <see cref="CachedInput"/>
/// when that is set, else to <see cref="InputAudio"/>.</para>
/// <para>Optional: long-context tiers (<see cref="LongContext"/> and <see cref="AdditionalTiers"/>) that price the
/// whole request when its input passes a threshold; <see cref="Batch"/>, <see cref="Priority"/> and
/// <see cref="Flex"/> service-tier variants (a request in a service tier without a variant is priced at the base
/// prices); daily <see cref="TimeOfDay"/> windows; a fee per request (<see cref="PerThousandRequests"/>) and per
/// server-side tool call (<see cref="PerThousandServerToolCalls"/>); and a <see cref="Match"/> rule for the other
/// names the model is called by.</para>
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
    /// provider. Provider names are normalized (see <c>docs/pricing.md</c>).
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

    /// <summary>Gets the price of uncached audio input tokens per million, or null for <see cref="Input"/>.</summary>
    public decimal? InputAudio { get => field; init => field = PriceGuard.NotNegative(value, nameof(InputAudio)); }

    /// <summary>Gets the price of audio input tokens read from a cache per million, or null (see the remarks for the default).</summary>
    public decimal? CachedInputAudio { get => field; init => field = PriceGuard.NotNegative(value, nameof(CachedInputAudio)); }

    /// <summary>Gets the price of audio output tokens per million, or null for <see cref="Output"/>.</summary>
    public decimal? OutputAudio { get => field; init => field = PriceGuard.NotNegative(value, nameof(OutputAudio)); }

    /// <summary>Gets the fee per 1,000 requests in US dollars (genai-prices <c>requests_kcount</c>), or null for none. Each record is one request.</summary>
    public decimal? PerThousandRequests { get => field; init => field = PriceGuard.NotNegative(value, nameof(PerThousandRequests)); }

    /// <summary>
    /// Gets the prices of provider-side tool calls billed per call, in US dollars per 1,000 calls, keyed by tool name
    /// (case-insensitive), for example <c>web_search</c> → 10; null or empty for none. Calls of a tool without a
    /// price cost nothing.
    /// </summary>
    public IReadOnlyDictionary<string, decimal>? PerThousandServerToolCalls
    {
        get => field;
        init
        {
            if (value is not null)
            {
                foreach (var (tool, price) in value)
                {
                    ArgumentException.ThrowIfNullOrWhiteSpace(tool, nameof(PerThousandServerToolCalls));
                    PriceGuard.NotNegative(price, $"{nameof(PerThousandServerToolCalls)}[{tool}]");
                }

                value = new Dictionary<string, decimal>(value, StringComparer.OrdinalIgnoreCase);
            }

            field = value;
        }
    }

    /// <summary>Gets the long-context tier that prices the whole request above a number of input tokens, or null.</summary>
    public PriceTier? LongContext { get; init; }

    /// <summary>
    /// Gets further long-context tiers beyond <see cref="LongContext"/> (Gemini and Qwen bill several thresholds):
    /// of all tiers, the one with the highest threshold the request passes prices the whole request. Thresholds must
    /// differ.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<PriceTier> AdditionalTiers
    {
        get => field;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(AdditionalTiers));
            foreach (var tier in value)
            {
                ArgumentNullException.ThrowIfNull(tier, nameof(AdditionalTiers));
            }

            field = [.. value];
        }
    } = [];

    /// <summary>Gets daily UTC windows with their own prices (for example off-peak discounts); the first window containing the time wins.</summary>
    /// <value>The default value is an empty list.</value>
    public IReadOnlyList<TimeOfDayPrice> TimeOfDay
    {
        get => field;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(TimeOfDay));
            foreach (var window in value)
            {
                ArgumentNullException.ThrowIfNull(window, nameof(TimeOfDay));
            }

            field = [.. value];
        }
    } = [];

    /// <summary>
    /// Gets a rule for other names of this model (for example <c>starts_with "claude-sonnet-4-5"</c>), tried by
    /// <see cref="PriceCatalog"/> after every exact-name lookup failed; null when only <see cref="Model"/> names it.
    /// </summary>
    public NameMatch? Match { get; init; }

    /// <summary>Gets the batch service tier's prices (<c>ServiceTier</c> <c>"batch"</c>), or null for the base prices.</summary>
    public ServiceTierPrice? Batch { get; init; }

    /// <summary>Gets the priority service tier's prices (<c>ServiceTier</c> <c>"priority"</c>), or null for the base prices.</summary>
    public ServiceTierPrice? Priority { get; init; }

    /// <summary>Gets the flex service tier's prices (<c>ServiceTier</c> <c>"flex"</c>), or null for the base prices.</summary>
    public ServiceTierPrice? Flex { get; init; }

    internal PriceCompiled Compiled => _compiled ??= PriceCompiled.From(this);

    /// <summary>
    /// Prices token counts: see the README's "Pricing" section for the exact formulas. <see cref="TimeOfDay"/>
    /// windows are not applied (there is no time); use the overload with a time for them.
    /// </summary>
    /// <param name="tokens">The normalized counts.</param>
    /// <param name="serviceTier">The service tier (<c>"batch"</c>, <c>"priority"</c>, <c>"flex"</c>, case-insensitive), or null/anything else for the base prices.</param>
    /// <returns>The cost breakdown in US dollars.</returns>
    public UsageCost Cost(TokenCounts tokens, string? serviceTier = null) => Compiled.Cost(tokens, BillableExtras.Of(tokens, null), serviceTier, at: null);

    /// <summary>Prices token counts at a moment, applying a <see cref="TimeOfDay"/> window that contains it.</summary>
    /// <param name="tokens">The normalized counts.</param>
    /// <param name="serviceTier">The service tier, or null for the base prices.</param>
    /// <param name="at">When the request was made (normally the record's completion time).</param>
    /// <returns>The cost breakdown in US dollars.</returns>
    public UsageCost Cost(TokenCounts tokens, string? serviceTier, DateTimeOffset at) => Compiled.Cost(tokens, BillableExtras.Of(tokens, null), serviceTier, at);

    /// <summary>Prices a request's counts and its provider-side tool calls at a moment (when given), in a service tier.</summary>
    /// <param name="tokens">The normalized counts (audio parts are priced at the audio rates).</param>
    /// <param name="serverToolCalls">Tool calls billed per call, by tool name (see <see cref="UsageRecord.ServerToolCalls"/>), or null.</param>
    /// <param name="serviceTier">The service tier, or null for the base prices.</param>
    /// <param name="at">When the request was made, or null to apply no <see cref="TimeOfDay"/> window.</param>
    /// <returns>The cost breakdown in US dollars, <see cref="PerThousandRequests"/> included.</returns>
    public UsageCost Cost(TokenCounts tokens, IReadOnlyDictionary<string, long>? serverToolCalls, string? serviceTier, DateTimeOffset? at) =>
        Compiled.Cost(tokens, BillableExtras.Of(tokens, serverToolCalls), serviceTier, at);

    /// <summary>Prices counts with their audio parts and server tool calls.</summary>
    internal UsageCost Cost(in TokenCounts tokens, in BillableExtras extras, string? serviceTier, DateTimeOffset? at) => Compiled.Cost(tokens, extras, serviceTier, at);

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"{Provider ?? "*"}/{Model} from {EffectiveFrom?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "always"}: in {Input}, out {Output} per 1M");
}
