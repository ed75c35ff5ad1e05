namespace TokenAccounting;

/// <summary>
/// One group of a <see cref="UsageQueryResult"/>: the values of the grouped dimensions and the summed usage.
/// A dimension that is not grouped is null; a grouped dimension is null when the records had no value for it.
/// </summary>
public sealed class UsageQueryRow
{
    /// <summary>Gets the UTC date, when grouped by <see cref="UsageDimension.Date"/>.</summary>
    public DateOnly? Date { get; init; }

    /// <summary>Gets the model, when grouped by <see cref="UsageDimension.Model"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the provider, when grouped by <see cref="UsageDimension.Provider"/> and known.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the operation, when grouped by <see cref="UsageDimension.Operation"/>.</summary>
    public UsageOperation? Operation { get; init; }

    /// <summary>Gets the user, when grouped by <see cref="UsageDimension.User"/> and known.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the tenant, when grouped by <see cref="UsageDimension.Tenant"/> and known.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the API key id, when grouped by <see cref="UsageDimension.ApiKey"/> and known.</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>Gets the summed tokens.</summary>
    public TokenCounts Tokens { get; init; }

    /// <summary>Gets the number of requests summed.</summary>
    public long RequestCount { get; init; }

    /// <summary>Gets the exact summed cost of the priced requests; null when none was priced.</summary>
    public UsageCost? Cost { get; init; }

    /// <summary>Gets how many of the requests had no price (their cost is not in <see cref="Cost"/>).</summary>
    public long UnpricedRequestCount { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var parts = new List<string>();
        if (Date is { } date)
        {
            parts.Add(date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (var value in new[] { Model, Provider, Operation?.Value, UserId, TenantId, ApiKeyId })
        {
            if (value is not null)
            {
                parts.Add(value);
            }
        }

        var cost = Cost?.Total.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unpriced";
        return $"[{string.Join(", ", parts)}]: {RequestCount} requests, {Tokens.Total} tokens, cost {cost}";
    }
}
