namespace TokenAccounting;

/// <summary>
/// Prices that apply during a daily window of UTC time (for example DeepSeek's former off-peak discount,
/// 16:30–00:30 UTC): a request completed inside the window is priced at <see cref="Rates"/> instead of the base
/// prices of its <see cref="ModelPrice"/> (service-tier variants and long-context tiers do not apply inside the window).
/// </summary>
public sealed class TimeOfDayPrice
{
    /// <summary>Gets the start of the window (UTC, inclusive). Required.</summary>
    public required TimeOnly Start { get; init; }

    /// <summary>Gets the end of the window (UTC, exclusive); an end before <see cref="Start"/> wraps past midnight. Required, ≠ <see cref="Start"/>.</summary>
    public required TimeOnly End { get; init; }

    /// <summary>Gets the prices inside the window. Required.</summary>
    public required TokenRates Rates
    {
        get => field;
        init
        {
            ArgumentNullException.ThrowIfNull(value, nameof(Rates));
            field = value;
        }
    }

    /// <summary>Tells whether a moment falls inside the window.</summary>
    /// <param name="at">The moment (converted to UTC).</param>
    /// <returns>True inside the window.</returns>
    public bool Contains(DateTimeOffset at)
    {
        var time = TimeOnly.FromTimeSpan(at.UtcDateTime.TimeOfDay);
        return Start <= End ? time >= Start && time < End : time >= Start || time < End;
    }
}
