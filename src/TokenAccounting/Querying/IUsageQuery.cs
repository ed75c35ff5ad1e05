namespace TokenAccounting;

/// <summary>
/// Reads usage totals back from a ledger: grouped by any of the <see cref="UsageDimension"/>s over a UTC time range,
/// optionally the top N. Implemented by the SQLite and PostgreSQL ledgers and by <see cref="InMemoryUsageQuery"/>.
/// </summary>
public interface IUsageQuery
{
    /// <summary>Sums usage as the query asks.</summary>
    /// <param name="query">The range, filters, grouping, order and limit.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The rows, in the query's order. Without grouping, exactly one row (zeros when nothing matched).</returns>
    ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default);
}
