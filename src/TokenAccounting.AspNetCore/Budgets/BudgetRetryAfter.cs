namespace TokenAccounting.AspNetCore;

/// <summary>When a denied request may be retried: the single place the <c>Retry-After</c> header is computed.</summary>
internal static class BudgetRetryAfter
{
    /// <summary>
    /// Gets how long until the policy's window frees capacity, or null when it never does (a lifetime window).
    /// Fixed windows reset at their end (next UTC midnight, next month's first day); for a rolling window the usage
    /// that fills it may have been counted just now, so its whole duration is the conservative bound.
    /// </summary>
    // Derived from the policy's window and the clock until BudgetExceededException carries its own RetryAfter.
    internal static TimeSpan? Compute(BudgetExceededException exception, TimeProvider timeProvider)
    {
        var window = exception.Policy.Window;
        var now = timeProvider.GetUtcNow().ToUniversalTime();
        return window.Kind switch
        {
            BudgetWindowKind.UtcDay => window.GetStart(now).AddDays(1) - now,
            BudgetWindowKind.UtcMonth => window.GetStart(now).AddMonths(1) - now,
            BudgetWindowKind.Rolling => window.Duration,
            _ => null,
        };
    }

    /// <summary>Formats a delay as the delta-seconds of RFC 9110 <c>Retry-After</c>: whole seconds, rounded up, at least 1.</summary>
    internal static string ToHeaderValue(TimeSpan delay)
    {
        var seconds = (long)Math.Ceiling(delay.TotalSeconds);
        return Math.Max(1, seconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
