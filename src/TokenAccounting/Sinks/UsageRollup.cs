namespace TokenAccounting;

/// <summary>Summed usage of all records that share a <see cref="UsageRollupKey"/>.</summary>
public sealed class UsageRollup
{
    /// <summary>Creates a rollup.</summary>
    /// <param name="key">The dimensions.</param>
    /// <param name="tokens">The summed tokens.</param>
    /// <param name="requestCount">The number of records.</param>
    /// <param name="cost">The summed cost of the priced records; null when none was priced.</param>
    /// <param name="unpricedRequestCount">The number of records whose model had no price.</param>
    public UsageRollup(UsageRollupKey key, TokenCounts tokens, long requestCount, UsageCost? cost, long unpricedRequestCount = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(requestCount);
        ArgumentOutOfRangeException.ThrowIfNegative(unpricedRequestCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(unpricedRequestCount, requestCount);
        Key = key;
        Tokens = tokens;
        RequestCount = requestCount;
        Cost = cost;
        UnpricedRequestCount = unpricedRequestCount;
    }

    /// <summary>Gets the dimensions.</summary>
    public UsageRollupKey Key { get; }

    /// <summary>Gets the summed tokens.</summary>
    public TokenCounts Tokens { get; }

    /// <summary>Gets the number of records summed.</summary>
    public long RequestCount { get; }

    /// <summary>Gets the summed cost of the priced records; null when none was priced.</summary>
    public UsageCost? Cost { get; }

    /// <summary>Gets how many of the records had no price (their cost is not in <see cref="Cost"/>).</summary>
    public long UnpricedRequestCount { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Key}: {RequestCount} requests, {Tokens}, cost {Cost?.Total.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unpriced"}";
}
