namespace TokenAccounting;

/// <summary>The answer to a <see cref="UsageQuery"/>.</summary>
public sealed class UsageQueryResult
{
    // Results are made by Create only, so every IUsageQuery orders and trims its rows alike.
    private UsageQueryResult(IReadOnlyList<UsageQueryRow> rows, UsageQuerySource source)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Rows = rows;
        Source = source;
    }

    /// <summary>Gets the rows, in the query's order (at most <see cref="UsageQuery.Top"/>).</summary>
    public IReadOnlyList<UsageQueryRow> Rows { get; }

    /// <summary>Gets which table answered the query: daily rollups (exact) or details (subject to drops and retention).</summary>
    public UsageQuerySource Source { get; }

    /// <summary>
    /// Creates a result from grouped rows in any order: orders them as <paramref name="query"/> asks (ties broken by
    /// the grouped dimensions, ordinally) and keeps the first <see cref="UsageQuery.Top"/>. For implementers of
    /// <see cref="IUsageQuery"/>, so every ledger orders alike.
    /// </summary>
    /// <param name="query">The query the rows answer.</param>
    /// <param name="rows">One row per group.</param>
    /// <param name="source">Which table answered the query.</param>
    public static UsageQueryResult Create(UsageQuery query, IEnumerable<UsageQueryRow> rows, UsageQuerySource source)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        list.Sort(new RowComparer(query));
        if (query.Top is { } top && list.Count > top)
        {
            list.RemoveRange(top, list.Count - top);
        }

        return new UsageQueryResult(list, source);
    }

    private sealed class RowComparer(UsageQuery query) : IComparer<UsageQueryRow>
    {
        public int Compare(UsageQueryRow? x, UsageQueryRow? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            var byMetric = query.OrderBy switch
            {
                UsageQueryOrder.TotalTokens => y.Tokens.Total.CompareTo(x.Tokens.Total),
                UsageQueryOrder.Cost => (y.Cost?.Total ?? 0m).CompareTo(x.Cost?.Total ?? 0m),
                UsageQueryOrder.RequestCount => y.RequestCount.CompareTo(x.RequestCount),
                _ => 0,
            };
            if (byMetric != 0)
            {
                return byMetric;
            }

            foreach (var dimension in query.GroupBy)
            {
                var byDimension = dimension switch
                {
                    UsageDimension.Date => Nullable.Compare(x.Date, y.Date),
                    UsageDimension.Model => string.CompareOrdinal(x.Model, y.Model),
                    UsageDimension.Provider => string.CompareOrdinal(x.Provider, y.Provider),
                    UsageDimension.Operation => string.CompareOrdinal(x.Operation?.Value.ToLowerInvariant(), y.Operation?.Value.ToLowerInvariant()),
                    UsageDimension.User => string.CompareOrdinal(x.UserId, y.UserId),
                    UsageDimension.Tenant => string.CompareOrdinal(x.TenantId, y.TenantId),
                    _ => string.CompareOrdinal(x.ApiKeyId, y.ApiKeyId),
                };
                if (byDimension != 0)
                {
                    return byDimension;
                }
            }

            return 0;
        }
    }
}
