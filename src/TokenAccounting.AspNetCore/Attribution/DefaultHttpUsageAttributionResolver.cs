using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace TokenAccounting.AspNetCore;

/// <summary>Reads the attribution from the claims and header that <see cref="TokenAccountingHttpOptions"/> names and the route template.</summary>
internal sealed class DefaultHttpUsageAttributionResolver(IOptions<TokenAccountingHttpOptions> options) : IHttpUsageAttributionResolver
{
    private readonly TokenAccountingHttpOptions _options = options.Value;

    public ValueTask<HttpUsageAttribution> ResolveAsync(HttpContext context)
    {
        var user = context.User;
        var apiKeyId = _options.ApiKeyIdHeaderName is { } header && context.Request.Headers.TryGetValue(header, out var values) && values.Count > 0 && !string.IsNullOrEmpty(values[0])
            ? values[0]
            : FindClaim(user, _options.ApiKeyIdClaimType);
        return new(new HttpUsageAttribution
        {
            UserId = FindClaim(user, _options.UserIdClaimTypes),
            TenantId = FindClaim(user, _options.TenantIdClaimType),
            ApiKeyId = apiKeyId,
            Route = RouteOf(context),
        });
    }

    /// <summary>The endpoint's route template: the pattern's raw text, or <c>{controller}/{action}</c> for conventionally routed MVC actions.</summary>
    internal static string? RouteOf(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            return null;
        }

        if (endpoint.Metadata.GetMetadata<ControllerActionDescriptor>() is { AttributeRouteInfo: null } action)
        {
            return string.Concat(action.ControllerName, "/", action.ActionName);
        }

        return (endpoint as RouteEndpoint)?.RoutePattern.RawText;
    }

    internal static string? FindClaim(ClaimsPrincipal? user, string? claimType)
    {
        if (user is null || string.IsNullOrEmpty(claimType))
        {
            return null;
        }

        var value = user.FindFirst(claimType)?.Value;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    internal static string? FindClaim(ClaimsPrincipal? user, IList<string> claimTypes)
    {
        for (var i = 0; i < claimTypes.Count; i++)
        {
            if (FindClaim(user, claimTypes[i]) is { } value)
            {
                return value;
            }
        }

        return null;
    }
}
