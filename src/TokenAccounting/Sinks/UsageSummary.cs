namespace TokenAccounting;

/// <summary>
/// Summed usage of a group of records, with the cost convention every sum in the library shares
/// (<see cref="UsageRollup"/>, <see cref="UsageQueryRow"/>, <see cref="UsageTotals"/>): <see cref="Cost"/> sums the
/// priced records and is null when none was priced; <see cref="UnpricedRequestCount"/> says how many were not.
/// A record priced at zero (a free model) is priced: it makes <see cref="Cost"/> non-null.
/// </summary>
/// <param name="Tokens">The summed tokens.</param>
/// <param name="RequestCount">The number of records.</param>
/// <param name="Cost">The summed cost of the priced records; null when none was priced.</param>
/// <param name="UnpricedRequestCount">How many of the records had no price (their cost is not in <paramref name="Cost"/>).</param>
public readonly record struct UsageSummary(TokenCounts Tokens, long RequestCount, UsageCost? Cost, long UnpricedRequestCount)
{
    /// <summary>Adds two summaries; sums saturate at the largest value they can hold rather than overflow.</summary>
    public static UsageSummary operator +(UsageSummary left, UsageSummary right) =>
        new(
            left.Tokens + right.Tokens,
            SaturatingArithmetic.Add(left.RequestCount, right.RequestCount),
            left.Cost is null ? right.Cost : right.Cost is null ? left.Cost : left.Cost + right.Cost,
            SaturatingArithmetic.Add(left.UnpricedRequestCount, right.UnpricedRequestCount));

    /// <summary>Adds two summaries (the named alternative to <c>+</c>).</summary>
    public static UsageSummary Add(UsageSummary left, UsageSummary right) => left + right;

    /// <summary>The summary of one record: priced when it carries a cost.</summary>
    internal static UsageSummary Of(UsageRecord record) => new(record.Tokens, 1, record.Cost, record.Cost is null ? 1 : 0);

    /// <summary>The summary of a rollup cell's sums.</summary>
    internal static UsageSummary Of(RollupCell cell) => new(cell.Tokens, cell.Requests, cell.Cost, cell.Unpriced);
}
