using System.Security.Claims;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// Configures the ASP.NET Core integration: how a request's usage is attributed (<c>UseTokenAccounting()</c>) and how a
/// denied budget is answered (429 with an RFC 9457 ProblemDetails body and <c>Retry-After</c>).
/// </summary>
public sealed class TokenAccountingHttpOptions
{
    /// <summary>Gets the claim types read, in order, for the user id; the first present wins.</summary>
    /// <value>The default value is <see cref="ClaimTypes.NameIdentifier"/>, then <c>sub</c>.</value>
    public IList<string> UserIdClaimTypes { get; } = [ClaimTypes.NameIdentifier, "sub"];

    /// <summary>Gets or sets the claim type read for the tenant id; null to attribute no tenant from claims.</summary>
    /// <value>The default value is <c>tid</c> (the Microsoft Entra ID tenant claim).</value>
    public string? TenantIdClaimType { get; set; } = "tid";

    /// <summary>
    /// Gets or sets the request header that carries the id of the API key used — set by your gateway or authentication
    /// handler, never the key itself. When present it wins over <see cref="ApiKeyIdClaimType"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no header is read).</value>
    public string? ApiKeyIdHeaderName { get; set; }

    /// <summary>Gets or sets the claim type read for the API key id (for example one added by an API-key authentication handler).</summary>
    /// <value>The default value is <see langword="null"/> (no claim is read).</value>
    public string? ApiKeyIdClaimType { get; set; }

    /// <summary>Gets or sets the name of the scope opened per request (the first segment of <see cref="UsageRecord.ScopePath"/>).</summary>
    /// <value>The default value is <c>http</c>.</value>
    public string ScopeName { get; set; } = "http";

    /// <summary>
    /// Gets or sets whether the 429 ProblemDetails body names the policy and carries its limit, used and remaining
    /// amounts and window. Set to false to tell clients only that a budget is exhausted and when to retry.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool IncludeBudgetDetails { get; set; } = true;

    /// <summary>
    /// Gets or sets the response header that names the policies whose warning threshold a reservation of this request
    /// crossed (soft budgets, or hard budgets with a <see cref="BudgetPolicy.WarningThreshold"/>), with its used, limit and
    /// remaining amounts; null to add none. Not added when <see cref="IncludeBudgetDetails"/> is false.
    /// </summary>
    /// <value>The default value is <c>X-Budget-Warning</c>.</value>
    public string? BudgetWarningHeaderName { get; set; } = "X-Budget-Warning";

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ScopeName))
        {
            throw new ArgumentException("TokenAccountingHttpOptions.ScopeName must not be empty.", nameof(ScopeName));
        }

        if (UserIdClaimTypes.Any(string.IsNullOrWhiteSpace))
        {
            throw new ArgumentException("TokenAccountingHttpOptions.UserIdClaimTypes must not contain an empty claim type.", nameof(UserIdClaimTypes));
        }
    }
}
