namespace TokenAccounting;

/// <summary>
/// A request for usage totals over a UTC time range <c>[From, To)</c> of <see cref="UsageRecord.CompletedAt"/>,
/// optionally filtered by dimension values, grouped by any of the <see cref="UsageDimension"/>s, ordered, and cut to
/// the top N rows.
/// </summary>
/// <remarks>
/// When both ends are at UTC midnight (<see cref="IsDayAligned"/>) a ledger answers from its daily rollups, which stay
/// exact when details were dropped or trimmed; otherwise it answers from the detail records.
/// A filter that is null does not filter; dimension values compare ordinally, operations case-insensitively.
/// </remarks>
public sealed class UsageQuery
{
    private IReadOnlyList<UsageDimension> _groupBy = [];
    private int? _top;
    private UsageQueryOrder _orderBy;

    /// <summary>Creates a query over <c>[from, to)</c>.</summary>
    /// <param name="from">The inclusive start of the range.</param>
    /// <param name="to">The exclusive end of the range; must be later than <paramref name="from"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="to"/> is not later than <paramref name="from"/>.</exception>
    public UsageQuery(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            throw new ArgumentException($"The query range end ({to:O}) must be later than its start ({from:O}).", nameof(to));
        }

        From = from.ToUniversalTime();
        To = to.ToUniversalTime();
    }

    /// <summary>Gets the inclusive start of the range, in UTC.</summary>
    public DateTimeOffset From { get; }

    /// <summary>Gets the exclusive end of the range, in UTC.</summary>
    public DateTimeOffset To { get; }

    /// <summary>Gets whether both ends of the range are at UTC midnight, so the query can be answered from daily rollups.</summary>
    public bool IsDayAligned => From.TimeOfDay == TimeSpan.Zero && To.TimeOfDay == TimeSpan.Zero;

    /// <summary>Gets the dimensions to group by, in the order given. Empty (the default) yields one total row.</summary>
    /// <exception cref="ArgumentException">A dimension is undefined or appears twice.</exception>
    public IReadOnlyList<UsageDimension> GroupBy
    {
        get => _groupBy;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            var seen = new HashSet<UsageDimension>();
            foreach (var dimension in value)
            {
                if (!Enum.IsDefined(dimension))
                {
                    throw new ArgumentException($"UsageQuery.GroupBy contains the undefined dimension {(int)dimension}.", nameof(value));
                }

                if (!seen.Add(dimension))
                {
                    throw new ArgumentException($"UsageQuery.GroupBy contains {dimension} twice.", nameof(value));
                }
            }

            _groupBy = [.. value];
        }
    }

    /// <summary>Gets how the rows are ordered.</summary>
    /// <value>The default value is <see cref="UsageQueryOrder.Dimensions"/>.</value>
    public UsageQueryOrder OrderBy
    {
        get => _orderBy;
        init
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "UsageQuery.OrderBy is not a defined UsageQueryOrder value.");
            }

            _orderBy = value;
        }
    }

    /// <summary>Gets the most rows to return (the first N in <see cref="OrderBy"/> order); null returns all rows.</summary>
    /// <value>The default value is null. When set, at least 1.</value>
    public int? Top
    {
        get => _top;
        init
        {
            if (value is < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "UsageQuery.Top must be at least 1 (or null for all rows).");
            }

            _top = value;
        }
    }

    /// <summary>Gets the model to filter by; null does not filter.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the provider to filter by; null does not filter.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets the operation to filter by; null does not filter.</summary>
    public UsageOperation? Operation { get; init; }

    /// <summary>Gets the user to filter by; null does not filter.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the tenant to filter by; null does not filter.</summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the API key id to filter by; null does not filter.</summary>
    public string? ApiKeyId { get; init; }

    /// <summary>Gets whether grouping includes <paramref name="dimension"/>.</summary>
    /// <param name="dimension">The dimension.</param>
    public bool IsGroupedBy(UsageDimension dimension) => _groupBy.Contains(dimension);
}
