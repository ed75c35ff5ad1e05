namespace TokenAccounting;

/// <summary>
/// A long-context tier: when a request's input tokens (cached and cache-written ones included) exceed
/// <see cref="AboveInputTokens"/> (or reach it, when <see cref="IncludesThreshold"/>), the <b>whole request</b> —
/// every input, cache and output token — is priced at <see cref="Rates"/> (as Gemini and Anthropic bill prompts
/// above 200k tokens). With several tiers the one with the highest threshold the request passes applies.
/// </summary>
public sealed class PriceTier
{
    /// <summary>Gets the threshold: the tier applies when input tokens are strictly greater (see <see cref="IncludesThreshold"/>). Required, &gt; 0.</summary>
    public required long AboveInputTokens
    {
        get => field;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(AboveInputTokens));
            field = value;
        }
    }

    /// <summary>
    /// Gets whether the tier already applies at exactly <see cref="AboveInputTokens"/> input tokens (xAI bills its
    /// higher tier from the threshold itself); false means strictly above it, as most providers bill.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool IncludesThreshold { get; init; }

    /// <summary>Gets the prices of the whole request above the threshold. Required.</summary>
    public required TokenRates Rates
    {
        get => field;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Rates));
            field = value;
        }
    }

    /// <summary>Gets the smallest input-token count the tier applies to.</summary>
    internal long FirstInputTokens => IncludesThreshold ? AboveInputTokens : AboveInputTokens + 1;
}
