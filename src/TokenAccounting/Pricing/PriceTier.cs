namespace TokenAccounting;

/// <summary>
/// A long-context tier: when a request's input tokens (cached and cache-written ones included) exceed
/// <see cref="AboveInputTokens"/>, the <b>whole request</b> — every input, cache and output token — is priced at
/// <see cref="Rates"/> (as Gemini and Anthropic bill prompts above 200k tokens).
/// </summary>
public sealed class PriceTier
{
    /// <summary>Gets the threshold: the tier applies when input tokens are strictly greater. Required, &gt; 0.</summary>
    public required long AboveInputTokens
    {
        get => field;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, nameof(AboveInputTokens));
            field = value;
        }
    }

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
}
