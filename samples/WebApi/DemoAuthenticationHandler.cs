using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace WebApi;

/// <summary>
/// Demo only: trusts the <c>X-User</c>, <c>X-Tenant</c> and <c>X-Role</c> headers, as if a gateway had authenticated the
/// caller. Use your real scheme (JWT bearer, cookies, API keys) in an application; TokenAccounting reads the claims.
/// </summary>
internal sealed class DemoAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Demo";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue("X-User", out var user) || string.IsNullOrWhiteSpace(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user!) };
        if (Request.Headers.TryGetValue("X-Tenant", out var tenant) && !string.IsNullOrWhiteSpace(tenant))
        {
            claims.Add(new Claim("tid", tenant!));
        }

        claims.AddRange(Request.Headers["X-Role"].Select(role => new Claim(ClaimTypes.Role, role!)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
