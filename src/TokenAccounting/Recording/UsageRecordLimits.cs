namespace TokenAccounting;

/// <summary>
/// The input limits that <see cref="IUsageRecorder.Record"/> (through <see cref="UsageRecord.Validate"/>) enforces
/// and that the ledgers' readers apply to what they read. Lengths count UTF-16 characters (<see cref="string.Length"/>).
/// </summary>
/// <remarks>
/// <para>
/// Besides these lengths and counts, every string of a record — each field, each tag key and value, each
/// stage-duration name and <see cref="UsageRecord.Text"/> — must be valid UTF-16 without NUL: no U+0000 and no
/// unpaired surrogate. Such a string cannot be stored by PostgreSQL (<c>text</c> rejects NUL) or encoded as UTF-8
/// by any ledger, so it is rejected where the caller can still fix it. <see cref="UsageRecord.Text"/> has no
/// length limit (it is only kept when text capture is on).
/// </para>
/// <para>
/// The limits leave real values room to spare (the longest model ids, Bedrock inference-profile ARNs, are about
/// 100 characters; e-mail addresses used as user ids at most 254) while keeping every rollup key small enough
/// for the SQL ledgers' primary-key indexes.
/// </para>
/// </remarks>
public static class UsageRecordLimits
{
    /// <summary>The longest <see cref="UsageRecord.Model"/> and <see cref="UsageRecord.ResponseModel"/>: 256 characters.</summary>
    public const int MaxModelLength = 256;

    /// <summary>The longest <see cref="UsageRecord.Provider"/>: 256 characters.</summary>
    public const int MaxProviderLength = 256;

    /// <summary>The longest <see cref="UsageOperation.Value"/> of <see cref="UsageRecord.Operation"/>: 256 characters.</summary>
    public const int MaxOperationLength = 256;

    /// <summary>
    /// The longest id: <see cref="UsageRecord.Id"/>, <see cref="UsageRecord.CorrelationId"/>,
    /// <see cref="UsageRecord.UserId"/>, <see cref="UsageRecord.TenantId"/> and <see cref="UsageRecord.ApiKeyId"/>
    /// (also the user and tenant a <see cref="UsageScope"/> sets): 256 characters.
    /// </summary>
    public const int MaxIdLength = 256;

    /// <summary>The longest <see cref="UsageRecord.Route"/>: 256 characters.</summary>
    public const int MaxRouteLength = 256;

    /// <summary>The longest <see cref="UsageRecord.ServiceTier"/>: 256 characters.</summary>
    public const int MaxServiceTierLength = 256;

    /// <summary>The longest <see cref="UsageRecord.DegradedReason"/>: 256 characters.</summary>
    public const int MaxDegradedReasonLength = 256;

    /// <summary>
    /// The longest <see cref="UsageRecord.ScopePath"/>, and so the longest <see cref="UsageScope.Path"/> a scope may
    /// open with: 1,024 characters.
    /// </summary>
    public const int MaxScopePathLength = 1024;

    /// <summary>The longest tag key (in <see cref="UsageRecord.Tags"/> and in a scope's tags): 256 characters.</summary>
    public const int MaxTagKeyLength = 256;

    /// <summary>The longest tag value (in <see cref="UsageRecord.Tags"/> and in a scope's tags): 1,024 characters.</summary>
    public const int MaxTagValueLength = 1024;

    /// <summary>
    /// The most tags on a record (<see cref="UsageRecord.Tags"/>), and the most tags a chain of scopes may carry: 64.
    /// A record inside scopes carries the union of both, so at most twice this many.
    /// </summary>
    public const int MaxTagCount = 64;

    /// <summary>The most entries in <see cref="UsageRecord.StageDurations"/>: 64.</summary>
    public const int MaxStageDurationCount = 64;

    /// <summary>The longest stage name (a key of <see cref="UsageRecord.StageDurations"/>): 256 characters.</summary>
    public const int MaxStageNameLength = 256;

    /// <summary>The most tools in <see cref="UsageRecord.ServerToolCalls"/>: 32.</summary>
    public const int MaxServerToolCount = 32;

    /// <summary>The longest tool name (a key of <see cref="UsageRecord.ServerToolCalls"/>): 128 characters.</summary>
    public const int MaxServerToolNameLength = 128;
}
