namespace TokenAccounting.AspNetCore;

/// <summary>Configures the spend API mapped by <c>MapTokenAccountingApi()</c>.</summary>
public sealed class TokenAccountingApiOptions
{
    /// <summary>
    /// Gets or sets the authorization policy every endpoint requires; null requires the application's default policy
    /// (an authenticated user, unless you changed it).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>Gets or sets whether the endpoints allow anonymous callers. Only for local development.</summary>
    /// <value>The default value is <see langword="false"/>: authorization is required.</value>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// Gets or sets the authorization policy that lets a caller read every tenant's usage and any subject's budgets;
    /// null lets nobody. Other callers see only their own tenant (the claim named by
    /// <see cref="TokenAccountingHttpOptions.TenantIdClaimType"/>) and their own budgets, and are refused (403) without
    /// a tenant claim.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? AllTenantsPolicy { get; set; }

    /// <summary>
    /// Gets or sets whether <c>?flush=true</c> may flush the recorder before a totals query, so it includes every record
    /// made before the request (delivery otherwise lags by up to <see cref="TokenAccountingOptions.FlushInterval"/>).
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool AllowFlush { get; set; } = true;

    /// <summary>Gets or sets the largest <c>top</c> a caller may ask for; at least 1.</summary>
    /// <value>The default value is 1000.</value>
    public int MaxTop { get; set; } = 1000;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTop, 1, nameof(MaxTop));
        if (AllowAnonymous && AuthorizationPolicy is not null)
        {
            throw new ArgumentException("TokenAccountingApiOptions: AllowAnonymous and AuthorizationPolicy cannot both be set.", nameof(AllowAnonymous));
        }
    }
}
