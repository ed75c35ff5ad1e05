namespace TokenAccounting;

/// <summary>A snapshot of the usage attributed to a <see cref="UsageScope"/>: overall and per (operation, model).</summary>
public sealed class UsageTotals
{
    private UsageTotals(IReadOnlyList<UsageTotalsEntry> entries)
    {
        Entries = entries;
        var tokens = TokenCounts.Zero;
        long requests = 0;
        long unpriced = 0;
        UsageCost? cost = null;
        foreach (var entry in entries)
        {
            tokens += entry.Tokens;
            requests = SaturatingArithmetic.Add(requests, entry.RequestCount);
            unpriced = SaturatingArithmetic.Add(unpriced, entry.UnpricedRequestCount);
            if (entry.Cost is not null)
            {
                cost = cost is null ? entry.Cost : cost + entry.Cost;
            }
        }

        Tokens = tokens;
        RequestCount = requests;
        Cost = cost;
        UnpricedRequestCount = unpriced;
    }

    /// <summary>Gets the tokens of every operation and model together.</summary>
    public TokenCounts Tokens { get; }

    /// <summary>Gets the number of records.</summary>
    public long RequestCount { get; }

    /// <summary>
    /// Gets the summed cost of the priced records, or null when none has been priced (yet: the pipeline prices a record
    /// shortly after it was recorded). A record priced at zero is priced.
    /// </summary>
    public UsageCost? Cost { get; }

    /// <summary>
    /// Gets how many of the records the pipeline found no price for (their cost is not in <see cref="Cost"/>); filled in
    /// shortly after recording, like <see cref="Cost"/>.
    /// </summary>
    public long UnpricedRequestCount { get; }

    /// <summary>Gets the usage per (operation, model) pair, in order of first use.</summary>
    public IReadOnlyList<UsageTotalsEntry> Entries { get; }

    /// <summary>Gets the tokens of one operation (for example chat apart from embeddings).</summary>
    public TokenCounts ForOperation(UsageOperation operation)
    {
        var sum = TokenCounts.Zero;
        foreach (var entry in Entries)
        {
            if (entry.Operation == operation)
            {
                sum += entry.Tokens;
            }
        }

        return sum;
    }

    /// <summary>Gets the tokens of one model across operations.</summary>
    public TokenCounts ForModel(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var sum = TokenCounts.Zero;
        foreach (var entry in Entries)
        {
            if (string.Equals(entry.Model, model, StringComparison.Ordinal))
            {
                sum += entry.Tokens;
            }
        }

        return sum;
    }

    /// <summary>Gets the entry of one (operation, model) pair, or null when it has no usage.</summary>
    public UsageTotalsEntry? Find(UsageOperation operation, string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var entry in Entries)
        {
            if (entry.Operation == operation && string.Equals(entry.Model, model, StringComparison.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public override string ToString() => $"{RequestCount} requests, {Tokens}";

    internal static UsageTotals From(UsageTotalsBucket[] buckets)
    {
        var entries = new UsageTotalsEntry[buckets.Length];
        for (var i = 0; i < buckets.Length; i++)
        {
            entries[i] = buckets[i].Snapshot();
        }

        return new UsageTotals(entries);
    }
}
