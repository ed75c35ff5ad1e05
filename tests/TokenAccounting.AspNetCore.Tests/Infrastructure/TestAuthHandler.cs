using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TokenAccounting.AspNetCore.Tests.Infrastructure;

/// <summary>Authenticates from test headers: X-Test-User (the NameIdentifier), X-Test-Sub, X-Test-Tenant (tid), X-Test-Role.</summary>
public sealed class TestAuthHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var headers = Request.Headers;
        var claims = new List<Claim>();
        if (headers.TryGetValue("X-Test-User", out var user))
        {
            claims.Add(new Claim(ClaimTypes.NameIdentifier, user!));
        }

        if (headers.TryGetValue("X-Test-Sub", out var sub))
        {
            claims.Add(new Claim("sub", sub!));
        }

        if (headers.TryGetValue("X-Test-Tenant", out var tenant))
        {
            claims.Add(new Claim("tid", tenant!));
        }

        foreach (var role in headers["X-Test-Role"])
        {
            claims.Add(new Claim(ClaimTypes.Role, role!));
        }

        if (claims.Count == 0)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }
}
