namespace TokenAccounting.Reporting;

/// <summary>
/// A spend report over a UTC range, built by <see cref="SpendReportBuilder"/> from any <see cref="IUsageQuery"/>:
/// totals, breakdowns by every dimension, cost per day and model, cache savings, unpriced usage, the change from the
/// previous period and budget status. All money is exact <see cref="decimal"/> US dollars.
/// </summary>
public sealed class SpendReport
{
    internal SpendReport(SpendReportOptions options, UsageQuerySource source, DateTimeOffset generatedAt)
    {
        Options = options;
        Source = source;
        GeneratedAt = generatedAt;
    }

    /// <summary>Gets the options the report was built with.</summary>
    public SpendReportOptions Options { get; }

    /// <summary>Gets the inclusive start of the range, in UTC.</summary>
    public DateTimeOffset From => Options.From;

    /// <summary>Gets the exclusive end of the range, in UTC.</summary>
    public DateTimeOffset To => Options.To;

    /// <summary>Gets when the report was built (from the builder's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset GeneratedAt { get; }

    /// <summary>Gets which table answered: daily rollups (exact; day-aligned ranges) or details.</summary>
    public UsageQuerySource Source { get; }

    /// <summary>Gets the totals of the range.</summary>
    public SpendSummary Totals { get; internal set; } = null!;

    /// <summary>Gets the change from the previous period of the same length; null when not asked for.</summary>
    public SpendChange? Change { get; internal set; }

    /// <summary>Gets one row per UTC day that had usage, in date order.</summary>
    public IReadOnlyList<UsageQueryRow> ByDay { get; internal set; } = [];

    /// <summary>Gets one row per (day, model) that had usage, in date then model order: the cost-per-day-by-model series.</summary>
    public IReadOnlyList<UsageQueryRow> ByDayAndModel { get; internal set; } = [];

    /// <summary>Gets usage by model.</summary>
    public SpendBreakdown ByModel { get; internal set; } = null!;

    /// <summary>Gets usage by provider.</summary>
    public SpendBreakdown ByProvider { get; internal set; } = null!;

    /// <summary>Gets usage by operation (chat, embeddings, …).</summary>
    public SpendBreakdown ByOperation { get; internal set; } = null!;

    /// <summary>Gets usage by user.</summary>
    public SpendBreakdown ByUser { get; internal set; } = null!;

    /// <summary>Gets usage by tenant.</summary>
    public SpendBreakdown ByTenant { get; internal set; } = null!;

    /// <summary>Gets usage by API key id.</summary>
    public SpendBreakdown ByApiKey { get; internal set; } = null!;

    /// <summary>Gets the breakdown by <see cref="SpendReportOptions.GroupBy"/>; null when no grouping was asked for.</summary>
    public SpendBreakdown? Custom { get; internal set; }

    /// <summary>Gets what caching saved, per model that had cached input, largest saving first.</summary>
    public IReadOnlyList<CacheSavingsRow> CacheSavings { get; internal set; } = [];

    /// <summary>Gets the models (with provider) that had requests without a price, most unpriced requests first.</summary>
    public IReadOnlyList<UsageQueryRow> Unpriced { get; internal set; } = [];

    /// <summary>Gets the status of every configured budget (per subject for per-user, tenant or API key policies).</summary>
    public IReadOnlyList<BudgetStatus> Budgets { get; internal set; } = [];
}
