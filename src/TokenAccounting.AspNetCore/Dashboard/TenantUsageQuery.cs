namespace TokenAccounting.AspNetCore;

/// <summary>
/// An <see cref="IUsageQuery"/> that answers only about one tenant: every query is filtered to it, and a query for
/// another tenant answers nothing. The dashboard builds a tenant user's report through it, so no figure of another
/// tenant can reach the page.
/// </summary>
internal sealed class TenantUsageQuery(IUsageQuery inner, string tenantId) : IUsageQuery
{
    public string TenantId { get; } = tenantId;

    public ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.TenantId is not null && !string.Equals(query.TenantId, TenantId, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(UsageQueryResult.Create(query, [], query.IsDayAligned ? UsageQuerySource.Rollups : UsageQuerySource.Details));
        }

        return inner.QueryTotalsAsync(
            new UsageQuery(query.From, query.To)
            {
                GroupBy = query.GroupBy,
                OrderBy = query.OrderBy,
                Top = query.Top,
                Model = query.Model,
                Provider = query.Provider,
                Operation = query.Operation,
                UserId = query.UserId,
                TenantId = TenantId,
                ApiKeyId = query.ApiKeyId,
            },
            cancellationToken);
    }
}
