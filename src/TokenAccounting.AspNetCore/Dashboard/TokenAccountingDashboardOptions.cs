namespace TokenAccounting.AspNetCore;

/// <summary>Configures the spend dashboard mapped by <c>MapTokenAccountingDashboard()</c>.</summary>
/// <remarks>
/// Authorization works as for the spend API (<see cref="TokenAccountingApiOptions"/>): required by default, anonymous
/// only when <see cref="AllowAnonymous"/> is set, and a caller sees only its own tenant unless it satisfies
/// <see cref="AllTenantsPolicy"/>.
/// </remarks>
public sealed class TokenAccountingDashboardOptions
{
    /// <summary>
    /// Gets or sets the authorization policy the page, its data and its assets require; null requires the application's
    /// default policy (an authenticated user, unless you changed it).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// Gets or sets whether the dashboard allows anonymous callers. Only for local development: an anonymous caller has
    /// no tenant, so it is refused (403) unless it also satisfies <see cref="AllTenantsPolicy"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>: authorization is required.</value>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// Gets or sets the authorization policy that lets a caller see every tenant's usage, every subject's budget gauges
    /// and the pipeline health (which counts the records of all tenants); null lets nobody. Other callers see only their
    /// own tenant (the claim named by <see cref="TokenAccountingHttpOptions.TenantIdClaimType"/>) and their own budgets,
    /// and are refused (403) without a tenant claim.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? AllTenantsPolicy { get; set; }

    /// <summary>
    /// Gets or sets how often the page reloads its figures while it is visible and auto-refresh is on;
    /// <see cref="TimeSpan.Zero"/> turns auto-refresh off (the page keeps its "Refresh now" button). At least one second
    /// otherwise. Figures lag recording by up to <see cref="TokenAccountingOptions.FlushInterval"/>.
    /// </summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many rows each breakdown and chart keeps (the rest are summed into one "others" row); 1 to 100.</summary>
    /// <value>The default value is 10.</value>
    public int Top { get; set; } = 10;

    /// <summary>Gets or sets how many UTC days, through today, the page shows when the query names no range; at least 1.</summary>
    /// <value>The default value is 30.</value>
    public int DefaultDays { get; set; } = 30;

    /// <summary>
    /// Gets or sets the longest range, in days, a caller may ask for (a report over a ledger read from details reads
    /// every record of the range); at least <see cref="DefaultDays"/>.
    /// </summary>
    /// <value>The default value is 400.</value>
    public int MaxDays { get; set; } = 400;

    internal void Validate()
    {
        if (AllowAnonymous && AuthorizationPolicy is not null)
        {
            throw new ArgumentException("TokenAccountingDashboardOptions: AllowAnonymous and AuthorizationPolicy cannot both be set.", nameof(AllowAnonymous));
        }

        if (RefreshInterval < TimeSpan.Zero || (RefreshInterval > TimeSpan.Zero && RefreshInterval < TimeSpan.FromSeconds(1)) || RefreshInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RefreshInterval), RefreshInterval, "TokenAccountingDashboardOptions.RefreshInterval must be zero (off) or from one second to one day.");
        }

        if (Top is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(Top), Top, "TokenAccountingDashboardOptions.Top must be from 1 to 100.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultDays, 1, nameof(DefaultDays));
        if (MaxDays < DefaultDays)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDays), MaxDays, $"TokenAccountingDashboardOptions.MaxDays must be at least DefaultDays ({DefaultDays}).");
        }
    }
}
