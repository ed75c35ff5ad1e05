namespace TokenAccounting.Reporting;

/// <summary>The totals of a range: tokens, requests, exact cost, and the shares derived from them.</summary>
public sealed class SpendSummary
{
    internal SpendSummary(TokenCounts tokens, long requestCount, UsageCost cost, long unpricedRequestCount, decimal cacheSavings)
    {
        Tokens = tokens;
        RequestCount = requestCount;
        Cost = cost;
        UnpricedRequestCount = unpricedRequestCount;
        CacheSavings = cacheSavings;
    }

    /// <summary>Gets the summed tokens.</summary>
    public TokenCounts Tokens { get; }

    /// <summary>Gets the number of requests.</summary>
    public long RequestCount { get; }

    /// <summary>Gets the exact summed cost of the priced requests, broken down by part (zero when none was priced).</summary>
    public UsageCost Cost { get; }

    /// <summary>Gets the total cost in US dollars (<see cref="UsageCost.Total"/> of <see cref="Cost"/>).</summary>
    public decimal TotalCost => Cost.Total;

    /// <summary>Gets how many requests had no price; their cost is not in <see cref="Cost"/>.</summary>
    public long UnpricedRequestCount { get; }

    /// <summary>Gets the share of input tokens read from a prompt cache (<c>CachedInput / Input</c>; 0 without input).</summary>
    public decimal CacheShare => Tokens.Input == 0 ? 0m : (decimal)Tokens.CachedInput / Tokens.Input;

    /// <summary>Gets the share of output tokens spent on reasoning (<c>Reasoning / Output</c>; 0 without output).</summary>
    public decimal ReasoningShare => Tokens.Output == 0 ? 0m : (decimal)Tokens.Reasoning / Tokens.Output;

    /// <summary>
    /// Gets the money saved by prompt caching, in US dollars: what the cached input tokens would have cost at the
    /// uncached input rate minus what they cost at the cached rate (see <see cref="CacheSavingsRow"/>).
    /// </summary>
    public decimal CacheSavings { get; }
}
