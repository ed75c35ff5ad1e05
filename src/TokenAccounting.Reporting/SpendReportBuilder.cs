namespace TokenAccounting.Reporting;

/// <summary>Builds <see cref="SpendReport"/>s from any ledger that implements <see cref="IUsageQuery"/>.</summary>
/// <remarks>
/// <para>
/// For a day-aligned range over a ledger with an engine of its own (a SQL ledger, which answers from its exact daily
/// rollups), the report asks one small query per breakdown (day, model and provider for both periods; operation; user;
/// tenant; API key; the custom grouping), so the ledger's engine does the summing.
/// </para>
/// <para>
/// A <see cref="JsonLinesUsageQuery"/> or an <see cref="InMemoryUsageQuery"/> streams: each query is a pass over the
/// whole ledger. So (as for any ledger when the range is not on midnights) the report asks once for totals grouped by
/// every dimension — for a day-aligned range the previous period in the same query, and the budgets whose window
/// starts at a midnight inside it are answered from the same rows — so the ledger is read a single time and memory is
/// bounded by the number of distinct (day, model, provider, operation, user, tenant, API key) keys, not by records.
/// A JSON-lines ledger answers a day-aligned range from its rollup lines, exact even where details were dropped. A
/// range not on midnights takes a second pass for the previous period, and a budget window that is not covered one
/// more.
/// </para>
/// <para>
/// Every breakdown adds up to the same totals either way (while a SQL ledger is being written to, each breakdown is
/// exact as of its own query). Over a SQL ledger, budget status takes one more query per policy.
/// </para>
/// </remarks>
public static class SpendReportBuilder
{
    private static readonly UsageDimension[] AllDimensions =
    [
        UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider, UsageDimension.Operation,
        UsageDimension.User, UsageDimension.Tenant, UsageDimension.ApiKey,
    ];

    /// <summary>Builds a report.</summary>
    /// <param name="source">The ledger to read.</param>
    /// <param name="options">The range and what to include.</param>
    /// <param name="timeProvider">The clock that stamps <see cref="SpendReport.GeneratedAt"/>; <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="options"/> is null.</exception>
    public static async ValueTask<SpendReport> BuildAsync(
        IUsageQuery source,
        SpendReportOptions options,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var generatedAt = (timeProvider ?? TimeProvider.System).GetUtcNow();
        var length = options.To - options.From;
        var compare = options.CompareWithPreviousPeriod && options.From - DateTimeOffset.MinValue >= length;
        var previousFrom = compare ? options.From - length : options.From;

        IReadOnlyList<UsageQueryRow> current;
        IReadOnlyList<UsageQueryRow> previous = [];
        UsageQuerySource answeredFrom;
        IReadOnlyList<UsageQueryRow> byOperation, byUser, byTenant, byApiKey;
        IReadOnlyList<UsageQueryRow>? custom = null;
        var alignedQuery = new UsageQuery(options.From, options.To);
        var firstDay = DateOnly.FromDateTime(options.From.UtcDateTime);
        IReadOnlyList<UsageQueryRow>? dailyRows = null;
        var dailyFrom = options.From;
        if (alignedQuery.IsDayAligned && source is not (InMemoryUsageQuery or JsonLinesUsageQuery))
        {
            // A ledger with daily rollups (SQL) sums in its own engine: one small query per breakdown is much cheaper
            // than returning one row per (day, model, provider, operation, user, tenant, key). Days split the periods
            // exactly because both ends are at midnight.
            var days = await source.QueryTotalsAsync(new UsageQuery(previousFrom, options.To) { GroupBy = [UsageDimension.Date, UsageDimension.Model, UsageDimension.Provider] }, cancellationToken).ConfigureAwait(false);
            current = [.. days.Rows.Where(r => r.Date >= firstDay)];
            previous = compare ? [.. days.Rows.Where(r => r.Date < firstDay)] : [];
            answeredFrom = days.Source;
            // One pass for the four attribution breakdowns (each groups these rows by its own dimension): its rows are
            // at most the range's rollup keys, and the engine reads the range once instead of four times.
            byOperation = byUser = byTenant = byApiKey = await RowsAsync(source, options, [UsageDimension.Operation, UsageDimension.User, UsageDimension.Tenant, UsageDimension.ApiKey], cancellationToken).ConfigureAwait(false);
            if (options.GroupBy.Count > 0)
            {
                custom = await RowsAsync(source, options, options.GroupBy, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            // Read once, grouped by every dimension: a ledger answered from details (JSON-lines) is streamed a single time.
            if (compare && alignedQuery.IsDayAligned)
            {
                var both = await source.QueryTotalsAsync(new UsageQuery(previousFrom, options.To) { GroupBy = AllDimensions }, cancellationToken).ConfigureAwait(false);
                current = [.. both.Rows.Where(r => r.Date >= firstDay)];
                previous = [.. both.Rows.Where(r => r.Date < firstDay)];
                answeredFrom = both.Source;
                dailyRows = both.Rows;
                dailyFrom = previousFrom;
            }
            else
            {
                var result = await source.QueryTotalsAsync(new UsageQuery(options.From, options.To) { GroupBy = AllDimensions }, cancellationToken).ConfigureAwait(false);
                current = result.Rows;
                answeredFrom = result.Source;
                dailyRows = alignedQuery.IsDayAligned ? result.Rows : null;
                if (compare)
                {
                    var before = await source.QueryTotalsAsync(new UsageQuery(previousFrom, options.From) { GroupBy = AllDimensions }, cancellationToken).ConfigureAwait(false);
                    previous = before.Rows;
                }
            }

            byOperation = byUser = byTenant = byApiKey = current;
            custom = options.GroupBy.Count > 0 ? current : null;
        }

        var savings = CacheSavings(current, options.Prices);
        var report = new SpendReport(options, answeredFrom, generatedAt)
        {
            Totals = Summarize(current, savings.Sum(s => s.Saved)),
            ByDay = Group(current, [UsageDimension.Date]).OrderBy(r => r.Date).ToList(),
            ByDayAndModel = Group(current, [UsageDimension.Date, UsageDimension.Model])
                .OrderBy(r => r.Date).ThenBy(r => r.Model, StringComparer.Ordinal).ToList(),
            ByModel = Breakdown(current, [UsageDimension.Model], options.Top),
            ByProvider = Breakdown(current, [UsageDimension.Provider], options.Top),
            ByOperation = Breakdown(byOperation, [UsageDimension.Operation], options.Top),
            ByUser = Breakdown(byUser, [UsageDimension.User], options.Top),
            ByTenant = Breakdown(byTenant, [UsageDimension.Tenant], options.Top),
            ByApiKey = Breakdown(byApiKey, [UsageDimension.ApiKey], options.Top),
            Custom = custom is not null ? Breakdown(custom, options.GroupBy, options.Top) : null,
            CacheSavings = savings,
            Unpriced = Group(current.Where(r => r.UnpricedRequestCount > 0), [UsageDimension.Model, UsageDimension.Provider])
                .OrderByDescending(r => r.UnpricedRequestCount).ThenBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Provider, StringComparer.Ordinal).ToList(),
        };
        if (compare)
        {
            report.Change = new SpendChange(previousFrom, options.From, Summarize(previous, CacheSavings(previous, options.Prices).Sum(s => s.Saved)), report.Totals);
        }

        report.Budgets = await BudgetsAsync(source, options, dailyRows, dailyFrom, cancellationToken).ConfigureAwait(false);
        return report;
    }

    private static async ValueTask<IReadOnlyList<UsageQueryRow>> RowsAsync(IUsageQuery source, SpendReportOptions options, IReadOnlyList<UsageDimension> groupBy, CancellationToken cancellationToken) =>
        (await source.QueryTotalsAsync(new UsageQuery(options.From, options.To) { GroupBy = groupBy }, cancellationToken).ConfigureAwait(false)).Rows;

    internal static SpendSummary Summarize(IEnumerable<UsageQueryRow> rows, decimal cacheSavings)
    {
        var sum = new Accumulator();
        foreach (var row in rows)
        {
            sum.Add(row);
        }

        return new SpendSummary(sum.Tokens, sum.Requests, sum.Cost ?? UsageCost.Zero, sum.Unpriced, cacheSavings);
    }

    private static SpendBreakdown Breakdown(IEnumerable<UsageQueryRow> rows, IReadOnlyList<UsageDimension> dimensions, int top)
    {
        var groups = Group(rows, dimensions);
        var ordered = groups
            .OrderByDescending(r => r.Cost?.Total ?? 0m)
            .ThenByDescending(r => r.Tokens.Total)
            .ThenBy(r => r, new DimensionComparer(dimensions))
            .ToList();
        if (ordered.Count <= top)
        {
            return new SpendBreakdown(dimensions, ordered, null, ordered.Count);
        }

        var others = new Accumulator();
        foreach (var row in ordered.Skip(top))
        {
            others.Add(row);
        }

        return new SpendBreakdown(dimensions, ordered.Take(top).ToList(), others.ToRow(default), ordered.Count);
    }

    private static List<UsageQueryRow> Group(IEnumerable<UsageQueryRow> rows, IReadOnlyList<UsageDimension> dimensions)
    {
        var groups = new Dictionary<Key, Accumulator>();
        foreach (var row in rows)
        {
            var key = Key.Of(row, dimensions);
            if (!groups.TryGetValue(key, out var accumulator))
            {
                accumulator = new Accumulator();
                groups.Add(key, accumulator);
            }

            accumulator.Add(row);
        }

        return groups.Select(g => g.Value.ToRow(g.Key)).ToList();
    }

    private static List<CacheSavingsRow> CacheSavings(IEnumerable<UsageQueryRow> rows, IPriceCatalog? prices)
    {
        var byModel = new Dictionary<(string Model, string? Provider), (long Cached, long Unpriced, decimal Uncached, decimal AtCachedRate)>();

        // A catalog lookup normalizes names and walks dated entries: do it once per (model, provider, day), not per row.
        var lookups = new Dictionary<(string Model, string? Provider, DateOnly? Day), ModelPrice?>();
        foreach (var row in rows)
        {
            if (row.Tokens.CachedInput == 0 || row.Model is null)
            {
                continue;
            }

            var key = (row.Model, row.Provider);
            byModel.TryGetValue(key, out var sums);
            sums.Cached += row.Tokens.CachedInput;
            if (!lookups.TryGetValue((row.Model, row.Provider, row.Date), out var found))
            {
                var day = row.Date is { } date ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : DateTimeOffset.MinValue;
                found = prices?.FindPrice(row.Provider, row.Model, day);
                lookups.Add((row.Model, row.Provider, row.Date), found);
            }

            if (found is { } price)
            {
                sums.Uncached += row.Tokens.CachedInput * price.Input / 1_000_000m;
                sums.AtCachedRate += row.Tokens.CachedInput * (price.CachedInput ?? price.Input) / 1_000_000m;
            }
            else
            {
                sums.Unpriced += row.Tokens.CachedInput;
            }

            byModel[key] = sums;
        }

        return byModel
            .Select(p => new CacheSavingsRow(p.Key.Model, p.Key.Provider, p.Value.Cached, p.Value.Unpriced, p.Value.Uncached, p.Value.AtCachedRate))
            .OrderByDescending(r => r.Saved).ThenBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Provider, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Budget status per policy: from <paramref name="dailyRows"/> (rows grouped by every dimension, by day from
    /// <paramref name="dailyFrom"/> to the report's end) when they cover the policy's window, else one query.
    /// </summary>
    private static async ValueTask<IReadOnlyList<BudgetStatus>> BudgetsAsync(IUsageQuery source, SpendReportOptions options, IReadOnlyList<UsageQueryRow>? dailyRows, DateTimeOffset dailyFrom, CancellationToken cancellationToken)
    {
        var statuses = new List<BudgetStatus>();
        var end = options.To;
        foreach (var policy in options.Budgets)
        {
            var start = policy.Window.Kind == BudgetWindowKind.Rolling ? end - policy.Window.Duration : policy.Window.GetStart(end - TimeSpan.FromTicks(1));
            UsageDimension? dimension = policy.Dimension switch
            {
                BudgetDimension.Global => null,
                BudgetDimension.User => UsageDimension.User,
                BudgetDimension.Tenant => UsageDimension.Tenant,
                BudgetDimension.ApiKey => UsageDimension.ApiKey,
                _ => (UsageDimension)(-1),
            };
            if (dimension is (UsageDimension)(-1))
            {
                statuses.Add(new BudgetStatus(policy, policy.DimensionValue, start, end, 0m, BudgetState.Unknown));
                continue;
            }

            var query = new UsageQuery(start, end)
            {
                GroupBy = dimension is { } grouped && policy.DimensionValue is null ? [grouped] : [],
                UserId = dimension == UsageDimension.User ? policy.DimensionValue : null,
                TenantId = dimension == UsageDimension.Tenant ? policy.DimensionValue : null,
                ApiKeyId = dimension == UsageDimension.ApiKey ? policy.DimensionValue : null,
            };
            var rows = dailyRows is not null && query.IsDayAligned && start >= dailyFrom
                ? FromDailyRows(dailyRows, query)
                : (await source.QueryTotalsAsync(query, cancellationToken).ConfigureAwait(false)).Rows;
            var perSubject = new List<BudgetStatus>();
            foreach (var row in rows)
            {
                var subject = dimension switch
                {
                    UsageDimension.User => row.UserId,
                    UsageDimension.Tenant => row.TenantId,
                    UsageDimension.ApiKey => row.ApiKeyId,
                    _ => null,
                } ?? policy.DimensionValue;
                if (dimension is not null && subject is null)
                {
                    continue; // usage without a user (tenant, key) is not counted against a per-user policy
                }

                var used = policy.Unit == BudgetUnit.Tokens ? row.Tokens.Total : row.Cost?.Total ?? 0m;
                perSubject.Add(new BudgetStatus(policy, subject, start, end, used, StateOf(policy, used)));
            }

            statuses.AddRange(perSubject.OrderByDescending(s => s.Used).ThenBy(s => s.Subject, StringComparer.Ordinal).Take(options.Top));
        }

        return statuses;
    }

    /// <summary>Answers a day-aligned budget query from daily rows of every dimension that cover its range, as the ledger would.</summary>
    private static List<UsageQueryRow> FromDailyRows(IReadOnlyList<UsageQueryRow> dailyRows, UsageQuery query)
    {
        var first = DateOnly.FromDateTime(query.From.UtcDateTime);
        var matching = dailyRows.Where(r => r.Date >= first
            && (query.UserId is null || string.Equals(r.UserId, query.UserId, StringComparison.Ordinal))
            && (query.TenantId is null || string.Equals(r.TenantId, query.TenantId, StringComparison.Ordinal))
            && (query.ApiKeyId is null || string.Equals(r.ApiKeyId, query.ApiKeyId, StringComparison.Ordinal)));
        if (query.GroupBy.Count > 0)
        {
            return Group(matching, query.GroupBy);
        }

        var all = new Accumulator();
        foreach (var row in matching)
        {
            all.Add(row);
        }

        return [all.ToRow(default)];
    }

    private static BudgetState StateOf(BudgetPolicy policy, decimal used)
    {
        if (used >= policy.Limit)
        {
            return BudgetState.Exceeded;
        }

        return policy.WarningThreshold is { } threshold && used >= policy.Limit * (decimal)threshold ? BudgetState.Warning : BudgetState.Ok;
    }

    private readonly record struct Key(DateOnly? Date, string? Model, string? Provider, string? Operation, string? UserId, string? TenantId, string? ApiKeyId)
    {
        public static Key Of(UsageQueryRow row, IReadOnlyList<UsageDimension> dimensions)
        {
            var key = default(Key);
            foreach (var dimension in dimensions)
            {
                key = dimension switch
                {
                    UsageDimension.Date => key with { Date = row.Date },
                    UsageDimension.Model => key with { Model = row.Model },
                    UsageDimension.Provider => key with { Provider = row.Provider },
                    UsageDimension.Operation => key with { Operation = row.Operation?.Value.ToLowerInvariant() },
                    UsageDimension.User => key with { UserId = row.UserId },
                    UsageDimension.Tenant => key with { TenantId = row.TenantId },
                    _ => key with { ApiKeyId = row.ApiKeyId },
                };
            }

            return key;
        }
    }

    private sealed class DimensionComparer(IReadOnlyList<UsageDimension> dimensions) : IComparer<UsageQueryRow>
    {
        public int Compare(UsageQueryRow? x, UsageQueryRow? y)
        {
            foreach (var dimension in dimensions)
            {
                var order = dimension switch
                {
                    UsageDimension.Date => Nullable.Compare(x?.Date, y?.Date),
                    UsageDimension.Model => string.CompareOrdinal(x?.Model, y?.Model),
                    UsageDimension.Provider => string.CompareOrdinal(x?.Provider, y?.Provider),
                    UsageDimension.Operation => string.CompareOrdinal(x?.Operation?.Value, y?.Operation?.Value),
                    UsageDimension.User => string.CompareOrdinal(x?.UserId, y?.UserId),
                    UsageDimension.Tenant => string.CompareOrdinal(x?.TenantId, y?.TenantId),
                    _ => string.CompareOrdinal(x?.ApiKeyId, y?.ApiKeyId),
                };
                if (order != 0)
                {
                    return order;
                }
            }

            return 0;
        }
    }

    private sealed class Accumulator
    {
        public TokenCounts Tokens { get; private set; }

        public long Requests { get; private set; }

        public long Unpriced { get; private set; }

        public UsageCost? Cost { get; private set; }

        public void Add(UsageQueryRow row)
        {
            Tokens += row.Tokens;
            Requests += row.RequestCount;
            Unpriced += row.UnpricedRequestCount;
            if (row.Cost is { } cost)
            {
                Cost = Cost is null ? cost : Cost + cost;
            }
        }

        public UsageQueryRow ToRow(Key key) => new()
        {
            Date = key.Date,
            Model = key.Model,
            Provider = key.Provider,
            Operation = key.Operation is { } operation ? new UsageOperation(operation) : null,
            UserId = key.UserId,
            TenantId = key.TenantId,
            ApiKeyId = key.ApiKeyId,
            Tokens = Tokens,
            RequestCount = Requests,
            Cost = Cost,
            UnpricedRequestCount = Unpriced,
        };
    }
}
