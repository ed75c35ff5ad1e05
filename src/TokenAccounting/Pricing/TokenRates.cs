namespace TokenAccounting;

/// <summary>
/// Prices of one kind of request, in US dollars per million tokens: the rates of a long-context tier
/// (<see cref="PriceTier"/>), of a service tier (<see cref="ServiceTierPrice"/>) or of a time-of-day window
/// (<see cref="TimeOfDayPrice"/>).
/// </summary>
/// <remarks>
/// Unset parts default like <see cref="ModelPrice"/>'s: <see cref="CachedInput"/> and <see cref="CacheWrite"/> to
/// <see cref="Input"/>, <see cref="CacheWriteLongTtl"/> to <see cref="CacheWrite"/>, <see cref="Reasoning"/> to
/// <see cref="Output"/>, <see cref="InputAudio"/> to <see cref="Input"/>, <see cref="OutputAudio"/> to
/// <see cref="Output"/>, and <see cref="CachedInputAudio"/> to <see cref="CachedInput"/> when that is set, else to
/// <see cref="InputAudio"/>.
/// </remarks>
public sealed class TokenRates
{
    /// <summary>Gets the price of uncached input tokens per million. Required, ≥ 0.</summary>
    public required decimal Input { get => field; init => field = PriceGuard.NotNegative(value, nameof(Input)); }

    /// <summary>Gets the price of cache-read input tokens per million, or null for <see cref="Input"/>.</summary>
    public decimal? CachedInput { get => field; init => field = PriceGuard.NotNegative(value, nameof(CachedInput)); }

    /// <summary>Gets the price of cache-write input tokens (short TTL) per million, or null for <see cref="Input"/>.</summary>
    public decimal? CacheWrite { get => field; init => field = PriceGuard.NotNegative(value, nameof(CacheWrite)); }

    /// <summary>Gets the price of cache writes with a TTL of one hour or more per million, or null for <see cref="CacheWrite"/>.</summary>
    public decimal? CacheWriteLongTtl { get => field; init => field = PriceGuard.NotNegative(value, nameof(CacheWriteLongTtl)); }

    /// <summary>Gets the price of non-reasoning output tokens per million. Required, ≥ 0.</summary>
    public required decimal Output { get => field; init => field = PriceGuard.NotNegative(value, nameof(Output)); }

    /// <summary>Gets the price of reasoning tokens per million, or null for <see cref="Output"/>.</summary>
    public decimal? Reasoning { get => field; init => field = PriceGuard.NotNegative(value, nameof(Reasoning)); }

    /// <summary>Gets the price of uncached audio input tokens per million, or null for <see cref="Input"/>.</summary>
    public decimal? InputAudio { get => field; init => field = PriceGuard.NotNegative(value, nameof(InputAudio)); }

    /// <summary>Gets the price of audio input tokens read from a cache per million, or null (see the remarks for the default).</summary>
    public decimal? CachedInputAudio { get => field; init => field = PriceGuard.NotNegative(value, nameof(CachedInputAudio)); }

    /// <summary>Gets the price of audio output tokens per million, or null for <see cref="Output"/>.</summary>
    public decimal? OutputAudio { get => field; init => field = PriceGuard.NotNegative(value, nameof(OutputAudio)); }

    internal PerTokenRates ToPerToken() => PerTokenRates.From(Input, CachedInput, CacheWrite, CacheWriteLongTtl, Output, Reasoning, InputAudio, CachedInputAudio, OutputAudio);
}
