namespace TokenAccounting;

/// <summary>A mutable running sum for one rollup key; owned by one sink worker and touched under its lock.</summary>
internal sealed class RollupCell
{
    public TokenCounts Tokens;
    public long Requests;
    public long Unpriced;
    public UsageCost? Cost;

    public void Add(UsageRecord record)
    {
        Tokens += record.Tokens;
        Requests++;
        if (record.Cost is { } cost)
        {
            Cost = Cost is null ? cost : Cost + cost;
        }
        else
        {
            Unpriced++;
        }
    }

    public UsageRollup ToRollup(UsageRollupKey key) => new(key, Tokens, Requests, Cost, Unpriced);
}
