namespace TokenAccounting;

/// <summary>Which table a usage query was answered from.</summary>
public enum UsageQuerySource
{
    /// <summary>
    /// The daily rollups: exact even when details were dropped or trimmed by retention. Used when both ends of the
    /// range are at UTC midnight.
    /// </summary>
    Rollups = 0,

    /// <summary>
    /// The detail records: used when the range is not day-aligned. Details dropped under memory pressure or trimmed by
    /// retention are not counted.
    /// </summary>
    Details = 1,
}
