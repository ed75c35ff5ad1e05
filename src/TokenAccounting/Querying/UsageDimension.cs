namespace TokenAccounting;

/// <summary>A dimension that usage queries group or filter by: the dimensions of <see cref="UsageRollupKey"/>.</summary>
public enum UsageDimension
{
    /// <summary>The UTC date of <see cref="UsageRecord.CompletedAt"/>.</summary>
    Date = 0,

    /// <summary>The requested model (<see cref="UsageRecord.Model"/>).</summary>
    Model = 1,

    /// <summary>The provider (<see cref="UsageRecord.Provider"/>).</summary>
    Provider = 2,

    /// <summary>The kind of call (<see cref="UsageRecord.Operation"/>).</summary>
    Operation = 3,

    /// <summary>The user (<see cref="UsageRecord.UserId"/>).</summary>
    User = 4,

    /// <summary>The tenant (<see cref="UsageRecord.TenantId"/>).</summary>
    Tenant = 5,

    /// <summary>The API key id (<see cref="UsageRecord.ApiKeyId"/>).</summary>
    ApiKey = 6,
}
