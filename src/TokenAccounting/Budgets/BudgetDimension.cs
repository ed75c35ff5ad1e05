namespace TokenAccounting;

/// <summary>What a <see cref="BudgetPolicy"/> is counted per.</summary>
public enum BudgetDimension
{
    /// <summary>One counter for all usage.</summary>
    Global = 0,

    /// <summary>One counter per <see cref="UsageRecord.UserId"/>.</summary>
    User = 1,

    /// <summary>One counter per <see cref="UsageRecord.TenantId"/>.</summary>
    Tenant = 2,

    /// <summary>One counter per <see cref="UsageRecord.ApiKeyId"/>.</summary>
    ApiKey = 3,

    /// <summary>One counter per <see cref="UsageRecord.ScopePath"/> (or per scope subtree when <see cref="BudgetPolicy.DimensionValue"/> is set).</summary>
    Scope = 4,

    /// <summary>One counter per value of the tag <see cref="BudgetPolicy.TagKey"/>.</summary>
    Tag = 5,
}
