namespace TokenAccounting.Reporting;

/// <summary>How a report's range compares with the period of the same length just before it.</summary>
public sealed class SpendChange
{
    internal SpendChange(DateTimeOffset from, DateTimeOffset to, SpendSummary previous, SpendSummary current)
    {
        From = from;
        To = to;
        Previous = previous;
        CostDelta = current.TotalCost - previous.TotalCost;
        CostChange = previous.TotalCost == 0m ? null : CostDelta / previous.TotalCost;
        TokensDelta = current.Tokens.Total - previous.Tokens.Total;
        TokensChange = previous.Tokens.Total == 0 ? null : (decimal)TokensDelta / previous.Tokens.Total;
        RequestsDelta = current.RequestCount - previous.RequestCount;
    }

    /// <summary>Gets the inclusive start of the previous period, in UTC.</summary>
    public DateTimeOffset From { get; }

    /// <summary>Gets the exclusive end of the previous period (the report's start), in UTC.</summary>
    public DateTimeOffset To { get; }

    /// <summary>Gets the totals of the previous period.</summary>
    public SpendSummary Previous { get; }

    /// <summary>Gets the current cost minus the previous cost, in US dollars.</summary>
    public decimal CostDelta { get; }

    /// <summary>Gets <see cref="CostDelta"/> as a fraction of the previous cost (0.25 = +25 %); null when the previous cost was zero.</summary>
    public decimal? CostChange { get; }

    /// <summary>Gets the current total tokens minus the previous total tokens.</summary>
    public long TokensDelta { get; }

    /// <summary>Gets <see cref="TokensDelta"/> as a fraction of the previous total; null when the previous total was zero.</summary>
    public decimal? TokensChange { get; }

    /// <summary>Gets the current request count minus the previous one.</summary>
    public long RequestsDelta { get; }
}
