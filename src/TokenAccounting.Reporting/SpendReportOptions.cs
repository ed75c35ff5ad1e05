namespace TokenAccounting.Reporting;

/// <summary>What a <see cref="SpendReport"/> covers and how much detail it keeps.</summary>
public sealed class SpendReportOptions
{
    private readonly int _top = 10;
    private readonly IReadOnlyList<UsageDimension> _groupBy = [];
    private readonly IReadOnlyList<BudgetPolicy> _budgets = [];

    /// <summary>Creates options for a report over <c>[from, to)</c>.</summary>
    /// <param name="from">The inclusive start of the range.</param>
    /// <param name="to">The exclusive end of the range; must be later than <paramref name="from"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="to"/> is not later than <paramref name="from"/>.</exception>
    public SpendReportOptions(DateTimeOffset from, DateTimeOffset to)
    {
        if (to <= from)
        {
            throw new ArgumentException($"The report range end ({to:O}) must be later than its start ({from:O}).", nameof(to));
        }

        From = from.ToUniversalTime();
        To = to.ToUniversalTime();
    }

    /// <summary>Gets the inclusive start of the range, in UTC.</summary>
    public DateTimeOffset From { get; }

    /// <summary>Gets the exclusive end of the range, in UTC.</summary>
    public DateTimeOffset To { get; }

    /// <summary>Gets how many rows each breakdown (models, users, tenants, …) keeps; the rest are summed into one "others" row.</summary>
    /// <value>The default value is 10. At least 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int Top
    {
        get => _top;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(Top));
            _top = value;
        }
    }

    /// <summary>
    /// Gets the dimensions of an extra breakdown (for example user then model), reported as <see cref="SpendReport.Custom"/>;
    /// empty for none.
    /// </summary>
    /// <value>The default value is empty.</value>
    /// <exception cref="ArgumentException">A dimension is undefined or appears twice.</exception>
    public IReadOnlyList<UsageDimension> GroupBy
    {
        get => _groupBy;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(GroupBy));
            var seen = new HashSet<UsageDimension>();
            foreach (var dimension in value)
            {
                if (!Enum.IsDefined(dimension) || !seen.Add(dimension))
                {
                    throw new ArgumentException($"SpendReportOptions.GroupBy must hold defined dimensions, each once; {dimension} is not.", nameof(GroupBy));
                }
            }

            _groupBy = [.. value];
        }
    }

    /// <summary>Gets whether the report also reads the period of the same length just before <see cref="From"/> and reports the change.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool CompareWithPreviousPeriod { get; init; } = true;

    /// <summary>
    /// Gets the catalog whose input and cached-input rates value the money saved by caching. Null leaves savings at zero
    /// and counts every cached token as unpriced.
    /// </summary>
    /// <value>The default value is <see cref="PriceCatalog.BuiltIn"/>.</value>
    public IPriceCatalog? Prices { get; init; } = PriceCatalog.BuiltIn;

    /// <summary>
    /// Gets the budget policies to report the status of, each for its window that contains the last moment of the range.
    /// Policies per scope or tag cannot be read from a ledger's totals and are reported as <see cref="BudgetState.Unknown"/>.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<BudgetPolicy> Budgets
    {
        get => _budgets;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Budgets));
            foreach (var policy in value)
            {
                ArgumentNullException.ThrowIfNull(policy, nameof(Budgets));
            }

            _budgets = [.. value];
        }
    }
}
