namespace TokenAccounting.AspNetCore;

/// <summary>When a denied request may be retried: the single place the <c>Retry-After</c> header is computed.</summary>
internal static class BudgetRetryAfter
{
    /// <summary>
    /// Gets how long until the policy's window frees capacity, or null when it never does (a lifetime window). Fixed
    /// windows reset at their end
    /// (<see cref="BudgetExceededException.WindowEnd"/>: next UTC midnight, next month's first day), measured from now so
    /// the header shrinks as time passes; a rolling window frees capacity when enough usage slides out, which the
    /// budget store computed at the denial (<see cref="BudgetExceededException.RetryAfter"/>). An exception built
    /// without those values falls back to the window itself (a rolling window's whole duration as the bound).
    /// </summary>
    internal static TimeSpan? Compute(BudgetExceededException exception, TimeProvider timeProvider)
    {
        var window = exception.Policy.Window;
        var now = timeProvider.GetUtcNow().ToUniversalTime();
        return window.Kind switch
        {
            BudgetWindowKind.UtcDay => Until(exception.WindowEnd ?? window.GetStart(now).AddDays(1), now),
            BudgetWindowKind.UtcMonth => Until(exception.WindowEnd ?? window.GetStart(now).AddMonths(1), now),
            BudgetWindowKind.Rolling => exception.RetryAfter ?? window.Duration,
            _ => null,
        };
    }

    /// <summary>Formats a delay as the delta-seconds of RFC 9110 <c>Retry-After</c>: whole seconds, rounded up, at least 1.</summary>
    internal static string ToHeaderValue(TimeSpan delay)
    {
        var seconds = (long)Math.Ceiling(delay.TotalSeconds);
        return Math.Max(1, seconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static TimeSpan Until(DateTimeOffset end, DateTimeOffset now) => end > now ? end - now : TimeSpan.Zero;
}
