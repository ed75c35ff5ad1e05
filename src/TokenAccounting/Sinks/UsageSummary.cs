namespace TokenAccounting;

/// <summary>Summed usage of a group of requests.</summary>
/// <param name="Tokens">The summed tokens.</param>
/// <param name="RequestCount">The number of requests.</param>
/// <param name="CostUsd">The summed cost of the priced requests in US dollars (zero when none was priced).</param>
public readonly record struct UsageSummary(TokenCounts Tokens, long RequestCount, decimal CostUsd)
{
    /// <summary>Adds two summaries.</summary>
    public static UsageSummary operator +(UsageSummary left, UsageSummary right) =>
        new(left.Tokens + right.Tokens, left.RequestCount + right.RequestCount, left.CostUsd + right.CostUsd);

    /// <summary>Adds two summaries (the named alternative to <c>+</c>).</summary>
    public static UsageSummary Add(UsageSummary left, UsageSummary right) => left + right;
}
