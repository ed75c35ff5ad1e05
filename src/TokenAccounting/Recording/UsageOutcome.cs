namespace TokenAccounting;

/// <summary>How the call that consumed tokens ended.</summary>
public enum UsageOutcome
{
    /// <summary>The call completed normally.</summary>
    Succeeded = 0,

    /// <summary>The call failed (an exception, a provider error, a faulted stream).</summary>
    Failed = 1,

    /// <summary>The call was cancelled, or its consumer stopped reading a stream early.</summary>
    Cancelled = 2,

    /// <summary>The call was not made (for example refused by a budget), yet is recorded for the audit trail.</summary>
    Skipped = 3,
}
