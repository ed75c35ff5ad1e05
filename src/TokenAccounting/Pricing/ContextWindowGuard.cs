namespace TokenAccounting;

/// <summary>
/// Tells an agent loop whether its next request would overflow the model's context window, from the latest
/// occupancy a <see cref="UsageTracker"/> saw and the model's <see cref="ModelPrice.MaxInputTokens"/>.
/// </summary>
/// <example>
/// <code>
/// if (ContextWindowGuard.TryCheck(catalog, "openai", "gpt-4o", tracker, additionalTokens: 2_000, out var check)
///     &amp;&amp; (check.WouldOverflow || check.ProjectedRatio > 0.9))
/// {
///     // summarize the history or stop the loop
/// }
/// </code>
/// </example>
public static class ContextWindowGuard
{
    /// <summary>Checks the tracker's latest occupancy against a known context window.</summary>
    /// <param name="maxInputTokens">The model's context window for input tokens; &gt; 0.</param>
    /// <param name="tracker">The tracker of the conversation.</param>
    /// <param name="additionalTokens">The tokens the next request adds; ≥ 0.</param>
    /// <returns>The check.</returns>
    public static ContextWindowCheck Check(long maxInputTokens, UsageTracker tracker, long additionalTokens = 0)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        return Check(maxInputTokens, tracker.LatestOccupancy, additionalTokens);
    }

    /// <summary>Checks an occupancy against a known context window.</summary>
    /// <param name="maxInputTokens">The model's context window for input tokens; &gt; 0.</param>
    /// <param name="occupiedTokens">The input tokens of the latest request; ≥ 0.</param>
    /// <param name="additionalTokens">The tokens the next request adds; ≥ 0.</param>
    /// <returns>The check.</returns>
    public static ContextWindowCheck Check(long maxInputTokens, long occupiedTokens, long additionalTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(occupiedTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(additionalTokens);
        return new ContextWindowCheck(occupiedTokens, additionalTokens, maxInputTokens);
    }

    /// <summary>Checks the tracker's latest occupancy against the model's context window from a price catalog.</summary>
    /// <param name="catalog">The catalog that knows the model's <see cref="ModelPrice.MaxInputTokens"/>.</param>
    /// <param name="provider">The provider, or null.</param>
    /// <param name="model">The model.</param>
    /// <param name="tracker">The tracker of the conversation.</param>
    /// <param name="additionalTokens">The tokens the next request adds; ≥ 0.</param>
    /// <param name="check">The check, when the context window is known.</param>
    /// <returns>False when the model or its context window is unknown.</returns>
    public static bool TryCheck(IPriceCatalog catalog, string? provider, string model, UsageTracker tracker, long additionalTokens, out ContextWindowCheck check)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(tracker);
        if (catalog.FindPrice(provider, model, DateTimeOffset.MaxValue)?.MaxInputTokens is { } max)
        {
            check = Check(max, tracker.LatestOccupancy, additionalTokens);
            return true;
        }

        check = default;
        return false;
    }
}
