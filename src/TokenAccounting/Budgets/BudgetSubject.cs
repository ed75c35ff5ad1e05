namespace TokenAccounting;

/// <summary>Who a reservation is for: the dimension values budget policies are counted by.</summary>
public sealed record BudgetSubject
{
    /// <summary>Gets the user.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the tenant.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the id (never the secret) of the API key.</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>Gets the scope path, outermost first, joined by <c>/</c>.</summary>
    public string? ScopePath { get; init; }

    /// <summary>Gets the tags.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>
    /// Gets the subject of the current async flow: the user, tenant, API key id, tags and path of the innermost open
    /// <see cref="UsageScope"/> (the values a record made here would inherit); empty when no scope is open.
    /// </summary>
    public static BudgetSubject FromCurrentScope()
    {
        var scope = UsageScope.Current;
        return scope is null
            ? new BudgetSubject()
            : new BudgetSubject { UserId = scope.EffectiveUserId, TenantId = scope.EffectiveTenantId, ApiKeyId = scope.EffectiveApiKeyId, Tags = scope.EffectiveTags, ScopePath = scope.Path };
    }

    /// <summary>Gets the subject of a record.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The subject.</returns>
    public static BudgetSubject FromRecord(UsageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new BudgetSubject { UserId = record.UserId, TenantId = record.TenantId, ApiKeyId = record.ApiKeyId, ScopePath = record.ScopePath, Tags = record.Tags };
    }
}
