namespace TokenAccounting.AspNetCore;

/// <summary>
/// Who an HTTP request's usage is attributed to: the values the request's <see cref="UsageScope"/> gives every record
/// made while it is handled. Returned by an <see cref="IHttpUsageAttributionResolver"/>; a null value is not set.
/// </summary>
public sealed record HttpUsageAttribution
{
    /// <summary>Gets the user (<see cref="UsageRecord.UserId"/>).</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the tenant (<see cref="UsageRecord.TenantId"/>).</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the id of the API key used (<see cref="UsageRecord.ApiKeyId"/>); never the key itself.</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>Gets the route template of the endpoint (<see cref="UsageRecord.Route"/>), for example <c>/chat/{id}</c>.</summary>
    public string? Route { get; init; }

    /// <summary>Gets tags added to every record of the request, or null.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}
