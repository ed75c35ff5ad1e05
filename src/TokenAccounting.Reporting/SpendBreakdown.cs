namespace TokenAccounting.Reporting;

/// <summary>
/// Usage grouped by one or more dimensions: the largest groups by cost (then by tokens), and the rest summed into
/// <see cref="Others"/>, so the rows and <see cref="Others"/> always add up to the report's totals.
/// </summary>
public sealed class SpendBreakdown
{
    internal SpendBreakdown(IReadOnlyList<UsageDimension> dimensions, IReadOnlyList<UsageQueryRow> rows, UsageQueryRow? others, int groupCount)
    {
        Dimensions = dimensions;
        Rows = rows;
        Others = others;
        GroupCount = groupCount;
    }

    /// <summary>Gets the dimensions the rows are grouped by, in order.</summary>
    public IReadOnlyList<UsageDimension> Dimensions { get; }

    /// <summary>Gets the largest groups, by cost then total tokens (ties in dimension order), at most <see cref="SpendReportOptions.Top"/>.</summary>
    public IReadOnlyList<UsageQueryRow> Rows { get; }

    /// <summary>Gets the sum of the groups not in <see cref="Rows"/> (its dimension values are null); null when every group is shown.</summary>
    public UsageQueryRow? Others { get; }

    /// <summary>Gets how many groups there were in all, shown or not.</summary>
    public int GroupCount { get; }
}
