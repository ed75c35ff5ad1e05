namespace TokenAccounting;

/// <summary>How the rows of a usage query are ordered (and which rows a top-N keeps).</summary>
public enum UsageQueryOrder
{
    /// <summary>By the grouped dimensions, ascending (ordinal string order, dates in time order).</summary>
    Dimensions = 0,

    /// <summary>By total tokens (<see cref="TokenCounts.Total"/>), largest first; ties by the dimensions.</summary>
    TotalTokens = 1,

    /// <summary>By total cost, largest first (rows without a priced request count as zero); ties by the dimensions.</summary>
    Cost = 2,

    /// <summary>By request count, largest first; ties by the dimensions.</summary>
    RequestCount = 3,
}
