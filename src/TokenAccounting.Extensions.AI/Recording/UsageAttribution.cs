namespace TokenAccounting;

/// <summary>
/// Who caused a call and under which route and tier: the dimensions the middleware puts on its record. Returned by
/// the attribution resolver of <see cref="TokenAccountingChatClientOptions"/> or
/// <see cref="TokenAccountingEmbeddingGeneratorOptions"/>. A value left null is inherited by the recorder from the
/// innermost enclosing <see cref="UsageScope"/> that sets it.
/// </summary>
public sealed record UsageAttribution
{
    /// <summary>Gets the user who caused the call.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the tenant on whose behalf the call was made.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the id (never the secret) of the API key used.</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>Gets the application route or feature that made the call.</summary>
    public string? Route { get; init; }

    /// <summary>Gets the provider service tier, for example <c>"batch"</c>, <c>"priority"</c>, <c>"flex"</c>.</summary>
    public string? ServiceTier { get; init; }

    /// <summary>Gets a caller-chosen id that ties the record to a request, trace or job.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Gets free-form dimensions.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}
