namespace TokenAccounting.Reporting;

/// <summary>Turns a <see cref="SpendReport"/> into its sections as <see cref="ReportTable"/>s, formatted for people.</summary>
/// <remarks>
/// Tokens are shown with thousands separators, money as the exact decimal (never rounded), shares as percentages with
/// one decimal; all in the invariant culture. A missing dimension value shows as <c>(none)</c>.
/// </remarks>
public static class SpendReportTables
{
    private static readonly string[] MetricColumns = ["requests", "input", "cached", "output", "reasoning", "total tokens", "cost USD", "unpriced", "cost share"];

    /// <summary>Gets the sections of <paramref name="report"/>, in reading order; empty breakdowns are left out.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The tables.</returns>
    public static IReadOnlyList<ReportTable> Create(SpendReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var tables = new List<ReportTable> { Summary(report) };
        tables.Add(Day(report));
        foreach (var (id, title, breakdown) in Breakdowns(report))
        {
            if (breakdown.GroupCount > 0)
            {
                tables.Add(Breakdown(id, title, breakdown, report.Totals.TotalCost));
            }
        }

        if (report.CacheSavings.Count > 0)
        {
            tables.Add(Savings(report));
        }

        if (report.Unpriced.Count > 0)
        {
            tables.Add(Unpriced(report));
        }

        if (report.Budgets.Count > 0)
        {
            tables.Add(Budgets(report));
        }

        return tables;
    }

    internal static IEnumerable<(string Id, string Title, SpendBreakdown Breakdown)> Breakdowns(SpendReport report)
    {
        if (report.Custom is { } custom)
        {
            yield return ("by-custom", "By " + string.Join(", ", custom.Dimensions.Select(ReportFormat.DimensionName)), custom);
        }

        yield return ("by-model", "By model", report.ByModel);
        yield return ("by-provider", "By provider", report.ByProvider);
        yield return ("by-operation", "By operation", report.ByOperation);
        yield return ("by-user", "Top users", report.ByUser);
        yield return ("by-tenant", "Top tenants", report.ByTenant);
        yield return ("by-api-key", "Top API keys", report.ByApiKey);
    }

    internal static ReportTable Summary(SpendReport report)
    {
        var t = report.Totals;
        var rows = new List<IReadOnlyList<string>>
        {
            Pair("range", ReportFormat.Range(report.From, report.To)),
            Pair("answered from", report.Source == UsageQuerySource.Rollups ? "daily rollups (exact)" : "detail records"),
            Pair("requests", ReportFormat.Tokens(t.RequestCount)),
            Pair("input tokens", ReportFormat.Tokens(t.Tokens.Input)),
            Pair("cached input tokens", ReportFormat.Tokens(t.Tokens.CachedInput)),
            Pair("cache write tokens", ReportFormat.Tokens(t.Tokens.CacheWriteInput)),
            Pair("output tokens", ReportFormat.Tokens(t.Tokens.Output)),
            Pair("reasoning tokens", ReportFormat.Tokens(t.Tokens.Reasoning)),
            Pair("total tokens", ReportFormat.Tokens(t.Tokens.Total)),
            Pair("cost USD", ReportFormat.Money(t.TotalCost)),
            Pair("unpriced requests", ReportFormat.Tokens(t.UnpricedRequestCount)),
            Pair("cache share of input", ReportFormat.Share(t.CacheShare)),
            Pair("reasoning share of output", ReportFormat.Share(t.ReasoningShare)),
            Pair("saved by caching USD", ReportFormat.Money(t.CacheSavings)),
        };
        if (report.Change is { } change)
        {
            rows.Add(Pair("previous period", ReportFormat.Range(change.From, change.To)));
            rows.Add(Pair("previous cost USD", ReportFormat.Money(change.Previous.TotalCost)));
            rows.Add(Pair("cost change", $"{ReportFormat.SignedMoney(change.CostDelta)} ({ReportFormat.Change(change.CostChange)})"));
            rows.Add(Pair("token change", $"{(change.TokensDelta > 0 ? "+" : string.Empty)}{ReportFormat.Tokens(change.TokensDelta)} ({ReportFormat.Change(change.TokensChange)})"));
        }

        return new ReportTable("summary", "Summary", ["metric", "value"], [false, true], rows);

        static IReadOnlyList<string> Pair(string name, string value) => [name, value];
    }

    internal static ReportTable Day(SpendReport report) =>
        new("by-day", "By day", ["date", .. MetricColumns], [false, .. MetricColumns.Select(_ => true)],
            [.. report.ByDay.Select(r => Metrics(ReportFormat.Date(r.Date), r, report.Totals.TotalCost))]);

    internal static ReportTable Breakdown(string id, string title, SpendBreakdown breakdown, decimal totalCost)
    {
        var label = string.Join(" / ", breakdown.Dimensions.Select(ReportFormat.DimensionName));
        var rows = breakdown.Rows.Select(r => Metrics(ReportFormat.Label(r, breakdown.Dimensions), r, totalCost)).ToList();
        if (breakdown.Others is { } others)
        {
            var count = breakdown.GroupCount - breakdown.Rows.Count;
            rows.Add(Metrics($"({count} others)", others, totalCost));
        }

        return new ReportTable(id, title, [label, .. MetricColumns], [false, .. MetricColumns.Select(_ => true)], rows);
    }

    internal static ReportTable Savings(SpendReport report) =>
        new("cache-savings", "Saved by prompt caching", ["model", "provider", "cached input tokens", "at input rate USD", "at cached rate USD", "saved USD", "unpriced cached tokens"],
            [false, false, true, true, true, true, true],
            [.. report.CacheSavings.Select(s => (IReadOnlyList<string>)[
                s.Model, s.Provider ?? ReportFormat.None, ReportFormat.Tokens(s.CachedInputTokens), ReportFormat.Money(s.UncachedCost),
                ReportFormat.Money(s.CachedCost), ReportFormat.Money(s.Saved), ReportFormat.Tokens(s.UnpricedCachedInputTokens)])]);

    internal static ReportTable Unpriced(SpendReport report) =>
        new("unpriced", "Unpriced requests (no price in the catalog when recorded)", ["model", "provider", "unpriced requests", "their tokens"], [false, false, true, true],
            [.. report.Unpriced.Select(r => (IReadOnlyList<string>)[r.Model ?? ReportFormat.None, r.Provider ?? ReportFormat.None, ReportFormat.Tokens(r.UnpricedRequestCount), ReportFormat.Tokens(r.Tokens.Total)])]);

    internal static ReportTable Budgets(SpendReport report) =>
        new("budgets", "Budgets", ["policy", "subject", "window", "used", "limit", "used share", "state"], [false, false, false, true, true, true, false],
            [.. report.Budgets.Select(b => (IReadOnlyList<string>)[
                b.Policy.Name, b.Subject ?? (b.Policy.Dimension == BudgetDimension.Global ? "all usage" : ReportFormat.None),
                b.WindowStart == DateTimeOffset.MinValue ? "lifetime to " + ReportFormat.Instant(b.WindowEnd) : ReportFormat.Range(b.WindowStart, b.WindowEnd),
                b.State == BudgetState.Unknown ? "n/a" : Amount(b.Policy.Unit, b.Used), Amount(b.Policy.Unit, b.Policy.Limit),
                b.State == BudgetState.Unknown ? "n/a" : ReportFormat.Share(b.UsedShare), StateName(b.State)])]);

    internal static string StateName(BudgetState state) => state switch
    {
        BudgetState.Ok => "ok",
        BudgetState.Warning => "warning",
        BudgetState.Exceeded => "exceeded",
        _ => "unknown (scope and tag budgets are not in ledger totals)",
    };

    private static string Amount(BudgetUnit unit, decimal value) =>
        unit == BudgetUnit.Tokens ? ReportFormat.Tokens((long)value) + " tokens" : ReportFormat.Money(value) + " USD";

    private static IReadOnlyList<string> Metrics(string label, UsageQueryRow row, decimal totalCost) =>
    [
        label,
        ReportFormat.Tokens(row.RequestCount),
        ReportFormat.Tokens(row.Tokens.Input),
        ReportFormat.Tokens(row.Tokens.CachedInput),
        ReportFormat.Tokens(row.Tokens.Output),
        ReportFormat.Tokens(row.Tokens.Reasoning),
        ReportFormat.Tokens(row.Tokens.Total),
        ReportFormat.Money(row.Cost?.Total ?? 0m),
        ReportFormat.Tokens(row.UnpricedRequestCount),
        totalCost == 0m ? "n/a" : ReportFormat.Share((row.Cost?.Total ?? 0m) / totalCost),
    ];
}
