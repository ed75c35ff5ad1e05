using Microsoft.AspNetCore.Http;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// Finds who an HTTP request's usage is attributed to. The default resolver reads the claims and header named by
/// <see cref="TokenAccountingHttpOptions"/> and the endpoint's route template; register your own implementation as a
/// singleton before <c>AddAspNetCore()</c> to replace it.
/// </summary>
public interface IHttpUsageAttributionResolver
{
    /// <summary>Resolves the attribution of a request. Called once per request, after authentication and routing.</summary>
    /// <param name="context">The request's context.</param>
    /// <returns>The attribution; values left null are not set on the request's scope.</returns>
    ValueTask<HttpUsageAttribution> ResolveAsync(HttpContext context);
}
