namespace TokenAccounting;

/// <summary>Where a record's token counts come from.</summary>
public enum UsageProvenance
{
    /// <summary>The provider reported the counts.</summary>
    Reported = 0,

    /// <summary>The counts were inferred (for example a stream cut before its usage chunk).</summary>
    Estimated = 1,
}
