namespace TokenAccounting.TestKit;

/// <summary>
/// The ledger tests' shortcut over <see cref="IUsageQuery"/>: one row of what was used over a window. (It was public in
/// the core as <c>UsageQueryExtensions</c> with no user in the library; the tests that read a total keep it here.)
/// </summary>
public static class LedgerQueries
{
    /// <summary>
    /// Gets what was used over <c>[from, to)</c>, overall or for one value of one dimension.
    /// </summary>
    /// <param name="source">The ledger to read.</param>
    /// <param name="from">The inclusive start of the window.</param>
    /// <param name="to">The exclusive end of the window.</param>
    /// <param name="dimension">The dimension to filter by, or null for all usage.</param>
    /// <param name="value">The value of <paramref name="dimension"/>; required when a dimension is given.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>One row with the summed tokens, requests and cost (zeros when nothing was used).</returns>
    /// <exception cref="ArgumentException">The dimension is <see cref="UsageDimension.Date"/>, or a dimension is given without a value.</exception>
    public static async ValueTask<UsageQueryRow> GetUsedAsync(
        this IUsageQuery source,
        DateTimeOffset from,
        DateTimeOffset to,
        UsageDimension? dimension = null,
        string? value = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (dimension is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(value);
        }

        var query = dimension switch
        {
            null => new UsageQuery(from, to),
            UsageDimension.Model => new UsageQuery(from, to) { Model = value },
            UsageDimension.Provider => new UsageQuery(from, to) { Provider = value },
            UsageDimension.Operation => new UsageQuery(from, to) { Operation = new UsageOperation(value!) },
            UsageDimension.User => new UsageQuery(from, to) { UserId = value },
            UsageDimension.Tenant => new UsageQuery(from, to) { TenantId = value },
            UsageDimension.ApiKey => new UsageQuery(from, to) { ApiKeyId = value },
            _ => throw new ArgumentException($"GetUsedAsync filters by one dimension value; {dimension} is not a filterable dimension (use the range for dates).", nameof(dimension)),
        };
        var result = await source.QueryTotalsAsync(query, cancellationToken).ConfigureAwait(false);
        return result.Rows.Count > 0 ? result.Rows[0] : new UsageQueryRow();
    }
}
