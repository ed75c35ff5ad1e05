namespace TokenAccounting;

/// <summary>The period a <see cref="BudgetPolicy"/> counts over: <see cref="UtcDay"/>, <see cref="UtcMonth"/>, <see cref="Rolling"/> or <see cref="Lifetime"/>.</summary>
public readonly record struct BudgetWindow
{
    private BudgetWindow(BudgetWindowKind kind, TimeSpan duration)
    {
        Kind = kind;
        Duration = duration;
    }

    /// <summary>Gets a window of one UTC calendar day.</summary>
    public static BudgetWindow UtcDay => new(BudgetWindowKind.UtcDay, TimeSpan.Zero);

    /// <summary>Gets a window of one UTC calendar month.</summary>
    public static BudgetWindow UtcMonth => new(BudgetWindowKind.UtcMonth, TimeSpan.Zero);

    /// <summary>Gets a window that never resets.</summary>
    public static BudgetWindow Lifetime => new(BudgetWindowKind.Lifetime, TimeSpan.Zero);

    /// <summary>Gets the kind of window.</summary>
    public BudgetWindowKind Kind { get; }

    /// <summary>Gets the length of a <see cref="BudgetWindowKind.Rolling"/> window (zero for the others).</summary>
    public TimeSpan Duration { get; }

    /// <summary>Creates a window over the last <paramref name="duration"/>, sliding with the clock.</summary>
    /// <param name="duration">The length of the window; &gt; 0.</param>
    /// <returns>The window.</returns>
    public static BudgetWindow Rolling(TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        return new BudgetWindow(BudgetWindowKind.Rolling, duration);
    }

    /// <summary>
    /// Gets the start of the fixed window that contains <paramref name="at"/> (<see cref="DateTimeOffset.MinValue"/>
    /// for <see cref="Lifetime"/>); for a rolling window, the exclusive start <c>at − Duration</c>.
    /// </summary>
    /// <param name="at">A moment.</param>
    /// <returns>The window start, in UTC.</returns>
    public DateTimeOffset GetStart(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return Kind switch
        {
            BudgetWindowKind.UtcDay => new DateTimeOffset(utc.Year, utc.Month, utc.Day, 0, 0, 0, TimeSpan.Zero),
            BudgetWindowKind.UtcMonth => new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero),
            BudgetWindowKind.Rolling => utc - Duration,
            _ => DateTimeOffset.MinValue,
        };
    }

    /// <summary>
    /// Gets the exclusive end of the fixed window that contains <paramref name="at"/>: the next UTC midnight for
    /// <see cref="UtcDay"/>, the first of the next UTC month for <see cref="UtcMonth"/> (<see cref="DateTimeOffset.MaxValue"/>
    /// past the last representable one); null for <see cref="Rolling(TimeSpan)"/> and <see cref="Lifetime"/>, which never end.
    /// </summary>
    /// <param name="at">A moment.</param>
    /// <returns>The window end, in UTC, or null.</returns>
    public DateTimeOffset? GetEnd(DateTimeOffset at)
    {
        var start = GetStart(at);
        return Kind switch
        {
            BudgetWindowKind.UtcDay => start.Year == 9999 && start.Month == 12 && start.Day == 31 ? DateTimeOffset.MaxValue : start.AddDays(1),
            BudgetWindowKind.UtcMonth => start.Year == 9999 && start.Month == 12 ? DateTimeOffset.MaxValue : start.AddMonths(1),
            _ => null,
        };
    }

    /// <inheritdoc />
    public override string ToString() => Kind == BudgetWindowKind.Rolling ? $"Rolling({Duration})" : Kind.ToString();
}
