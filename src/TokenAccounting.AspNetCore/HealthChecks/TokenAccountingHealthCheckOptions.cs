namespace TokenAccounting.AspNetCore;

/// <summary>Thresholds of the TokenAccounting health check (<c>AddHealthChecks().AddTokenAccounting()</c>).</summary>
public sealed class TokenAccountingHealthCheckOptions
{
    /// <summary>
    /// Gets or sets the fraction of <see cref="TokenAccountingOptions.MaxBufferedRecords"/> at which a sink's buffer
    /// makes the check <c>Degraded</c> (details are dropped when the buffer is full); in (0, 1].
    /// </summary>
    /// <value>The default value is 0.8.</value>
    public double BufferDegradedFraction { get; set; } = 0.8;

    /// <summary>
    /// Gets or sets how long a sink may keep failing (writes failing or retrying, none delivered) before the check is
    /// <c>Unhealthy</c> rather than <c>Degraded</c>; &gt; 0.
    /// </summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan FailingUnhealthyAfter { get; set; } = TimeSpan.FromMinutes(5);

    internal void Validate()
    {
        if (double.IsNaN(BufferDegradedFraction) || BufferDegradedFraction <= 0 || BufferDegradedFraction > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BufferDegradedFraction), BufferDegradedFraction, "TokenAccountingHealthCheckOptions.BufferDegradedFraction must be in (0, 1].");
        }

        if (FailingUnhealthyAfter <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(FailingUnhealthyAfter), FailingUnhealthyAfter, "TokenAccountingHealthCheckOptions.FailingUnhealthyAfter must be greater than zero.");
        }
    }
}
