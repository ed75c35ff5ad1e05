namespace TokenAccounting;

/// <summary>A reservation was denied because a hard <see cref="BudgetPolicy"/> has not enough left.</summary>
/// <remarks>
/// <see cref="RetryAfter"/> and <see cref="WindowEnd"/> carry what an HTTP layer needs for a <c>Retry-After</c>
/// header: for <see cref="BudgetWindowKind.UtcDay"/> and <see cref="BudgetWindowKind.UtcMonth"/> the window's end;
/// for <see cref="BudgetWindowKind.Rolling"/> the moment enough of the counted usage slides out of the window (from the
/// store's buckets, so at most one bucket, <c>⌈Duration / 60⌉</c>, later than exact); for
/// <see cref="BudgetWindowKind.Lifetime"/>, or an amount larger than the limit, never (null). Both describe only the
/// policy that denied: another policy may still deny the retry, and other usage may use up the room meanwhile.
/// </remarks>
public sealed class BudgetExceededException : Exception
{
    /// <summary>Creates the exception, without retry information.</summary>
    /// <param name="policy">The policy that denied.</param>
    /// <param name="subjectKey">The dimension value counted (empty for global).</param>
    /// <param name="limit">The policy's limit.</param>
    /// <param name="used">The amount used (committed and reserved) in the current window.</param>
    /// <param name="requested">The amount that was asked for.</param>
    public BudgetExceededException(BudgetPolicy policy, string subjectKey, decimal limit, decimal used, decimal requested)
        : this(policy, subjectKey, limit, used, requested, windowEnd: null, retryAfter: null)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="policy">The policy that denied.</param>
    /// <param name="subjectKey">The dimension value counted (empty for global).</param>
    /// <param name="limit">The policy's limit.</param>
    /// <param name="used">The amount used (committed and reserved) in the current window.</param>
    /// <param name="requested">The amount that was asked for.</param>
    /// <param name="windowEnd">The end of the fixed window that denied; null for rolling and lifetime windows.</param>
    /// <param name="retryAfter">How long after the denial the same request would fit; null when it never will; ≥ 0.</param>
    public BudgetExceededException(BudgetPolicy policy, string subjectKey, decimal limit, decimal used, decimal requested, DateTimeOffset? windowEnd, TimeSpan? retryAfter)
        : base(Describe(policy, subjectKey, limit, used, requested, retryAfter))
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (retryAfter is { } after)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(after, TimeSpan.Zero, nameof(retryAfter));
        }

        Policy = policy;
        SubjectKey = subjectKey ?? string.Empty;
        Limit = limit;
        Used = used;
        Requested = requested;
        WindowEnd = windowEnd;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the policy that denied the reservation.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>Gets the dimension value whose counter is exhausted (the user, tenant, …; empty for global).</summary>
    public string SubjectKey { get; }

    /// <summary>Gets the policy's limit, in the policy's unit.</summary>
    public decimal Limit { get; }

    /// <summary>Gets the amount already used (committed and reserved) in the current window.</summary>
    public decimal Used { get; }

    /// <summary>Gets the amount left: <c>max(0, Limit − Used)</c>.</summary>
    public decimal Remaining => Math.Max(0m, Limit - Used);

    /// <summary>Gets the amount that was asked for.</summary>
    public decimal Requested { get; }

    /// <summary>
    /// Gets the end (exclusive, UTC) of the fixed window that denied the reservation: the next UTC midnight for
    /// <see cref="BudgetWindowKind.UtcDay"/>, the first of the next month for <see cref="BudgetWindowKind.UtcMonth"/>;
    /// null for <see cref="BudgetWindowKind.Rolling"/> (it never ends) and <see cref="BudgetWindowKind.Lifetime"/>.
    /// </summary>
    public DateTimeOffset? WindowEnd { get; }

    /// <summary>
    /// Gets how long after the denial the same request would be admitted by this policy if nothing else were used
    /// meanwhile: until <see cref="WindowEnd"/> for day and month windows; until enough usage slides out for a rolling
    /// window (at most one bucket, <c>⌈Duration / 60⌉</c>, later than exact); null when it never will — a lifetime
    /// window, or a request larger than <see cref="Limit"/>. Round up for an HTTP <c>Retry-After</c> in seconds.
    /// </summary>
    public TimeSpan? RetryAfter { get; }

    private static string Describe(BudgetPolicy policy, string subjectKey, decimal limit, decimal used, decimal requested, TimeSpan? retryAfter) =>
        FormattableString.Invariant($"Budget '{policy?.Name}'{(string.IsNullOrEmpty(subjectKey) ? string.Empty : $" for '{subjectKey}'")} exceeded: requested {requested} {policy?.Unit}, used {used} of {limit}, remaining {Math.Max(0m, limit - used)} in the current {policy?.Window} window{(retryAfter is { } after ? $"; retry after {after}" : string.Empty)}.");
}
