using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the TokenAccounting request middleware to an ASP.NET Core pipeline.</summary>
public static class TokenAccountingApplicationBuilderExtensions
{
    /// <summary>
    /// Opens a <see cref="TokenAccounting.UsageScope"/> per request that attributes every record made while it is
    /// handled — including in tasks it starts and while a response streams — to the user, tenant, API key id and
    /// route template resolved by <see cref="IHttpUsageAttributionResolver"/>; answers a
    /// <see cref="TokenAccounting.BudgetExceededException"/> thrown after it with 429, <c>Retry-After</c> and an RFC
    /// 9457 ProblemDetails body; and names crossed budget warnings in the
    /// <see cref="TokenAccountingHttpOptions.BudgetWarningHeaderName"/> header.
    /// Place it after <c>UseAuthentication()</c> and <c>UseRouting()</c> when you call those yourself (WebApplication
    /// adds them first otherwise), so the user and the endpoint are known.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns>The application builder, for chaining.</returns>
    /// <exception cref="InvalidOperationException"><c>AddTokenAccounting().AddAspNetCore()</c> was not called.</exception>
    public static IApplicationBuilder UseTokenAccounting(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.ApplicationServices.GetService<IHttpUsageAttributionResolver>() is null || app.ApplicationServices.GetService<BudgetProblemWriter>() is null)
        {
            throw new InvalidOperationException("UseTokenAccounting() needs the services of services.AddTokenAccounting().AddAspNetCore(); call it when configuring services.");
        }

        return app.UseMiddleware<TokenAccountingMiddleware>();
    }
}
