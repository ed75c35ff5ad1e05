namespace TokenAccounting.Reporting.Tests.Infrastructure;

/// <summary>Checks a report's figures against sums computed directly from the records it covers.</summary>
internal static class ReportExpectations
{
    public static void ShouldMatch(SpendReport report, IReadOnlyList<UsageRecord> records, IReadOnlyList<UsageRecord> previous)
    {
        report.Totals.RequestCount.ShouldBe(records.Count);
        report.Totals.Tokens.ShouldBe(GeneratedUsage.Tokens(records));
        report.Totals.TotalCost.ShouldBe(GeneratedUsage.Cost(records));
        report.Totals.UnpricedRequestCount.ShouldBe(records.Count(r => r.Cost is null));
        report.Totals.CacheSavings.ShouldBe(GeneratedUsage.CacheSavings(records, PriceCatalog.BuiltIn));
        report.Totals.CacheShare.ShouldBe((decimal)records.Sum(r => r.Tokens.CachedInput) / records.Sum(r => r.Tokens.Input));

        ShouldMatchGroups(report.ByModel, records, r => r.Model);
        ShouldMatchGroups(report.ByProvider, records, r => r.Provider);
        ShouldMatchGroups(report.ByUser, records, r => r.UserId);
        ShouldMatchGroups(report.ByTenant, records, r => r.TenantId);
        ShouldMatchGroups(report.ByApiKey, records, r => r.ApiKeyId);
        ShouldMatchGroups(report.ByOperation, records, r => r.Operation.Value);

        var days = records.GroupBy(r => DateOnly.FromDateTime(r.CompletedAt!.Value.UtcDateTime)).OrderBy(g => g.Key).ToList();
        report.ByDay.Select(r => r.Date!.Value).ShouldBe(days.Select(g => g.Key));
        report.ByDay.Select(r => r.Cost?.Total ?? 0m).ShouldBe(days.Select(g => GeneratedUsage.Cost(g)));
        report.ByDay.Select(r => r.RequestCount).ShouldBe(days.Select(g => (long)g.Count()));
        report.ByDayAndModel.Sum(r => r.Cost?.Total ?? 0m).ShouldBe(GeneratedUsage.Cost(records));

        report.Unpriced.Sum(r => r.UnpricedRequestCount).ShouldBe(records.Count(r => r.Cost is null));
        report.Change.ShouldNotBeNull();
        report.Change.Previous.RequestCount.ShouldBe(previous.Count);
        report.Change.Previous.TotalCost.ShouldBe(GeneratedUsage.Cost(previous));
        report.Change.CostDelta.ShouldBe(GeneratedUsage.Cost(records) - GeneratedUsage.Cost(previous));
    }

    /// <summary>The top rows are the costliest groups with their exact sums; the others row holds the rest exactly.</summary>
    public static void ShouldMatchGroups(SpendBreakdown breakdown, IReadOnlyList<UsageRecord> records, Func<UsageRecord, string?> key)
    {
        var expected = records
            .GroupBy(r => string.IsNullOrEmpty(key(r)) ? null : key(r))
            .Select(g => (Key: g.Key, Cost: GeneratedUsage.Cost(g), Tokens: GeneratedUsage.Tokens(g), Requests: (long)g.Count()))
            .OrderByDescending(g => g.Cost).ThenByDescending(g => g.Tokens.Total).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        breakdown.GroupCount.ShouldBe(expected.Count);
        var shown = expected.Take(breakdown.Rows.Count).ToList();
        breakdown.Rows.Select(r => ReportKey(r, breakdown.Dimensions[0])).ShouldBe(shown.Select(g => g.Key));
        breakdown.Rows.Select(r => r.Cost?.Total ?? 0m).ShouldBe(shown.Select(g => g.Cost));
        breakdown.Rows.Select(r => r.Tokens).ShouldBe(shown.Select(g => g.Tokens));
        breakdown.Rows.Select(r => r.RequestCount).ShouldBe(shown.Select(g => g.Requests));
        var rest = expected.Skip(breakdown.Rows.Count).ToList();
        if (rest.Count == 0)
        {
            breakdown.Others.ShouldBeNull();
        }
        else
        {
            breakdown.Others.ShouldNotBeNull();
            (breakdown.Others.Cost?.Total ?? 0m).ShouldBe(rest.Sum(g => g.Cost));
            breakdown.Others.RequestCount.ShouldBe(rest.Sum(g => g.Requests));
        }
    }

    private static string? ReportKey(UsageQueryRow row, UsageDimension dimension) => dimension switch
    {
        UsageDimension.Model => row.Model,
        UsageDimension.Provider => row.Provider,
        UsageDimension.User => row.UserId,
        UsageDimension.Tenant => row.TenantId,
        UsageDimension.ApiKey => row.ApiKeyId,
        UsageDimension.Operation => row.Operation?.Value,
        _ => row.Date?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
    };
}
