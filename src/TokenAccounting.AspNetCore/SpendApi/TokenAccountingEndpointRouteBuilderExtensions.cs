using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting;
using TokenAccounting.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the TokenAccounting spend API.</summary>
public static class TokenAccountingEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps JSON endpoints over the registered <see cref="IUsageQuery"/> and <see cref="BudgetManager"/>:
    /// <list type="bullet">
    /// <item><c>GET {pattern}/totals</c> — totals over <c>[from, to)</c> (ISO dates or date-times; by default the
    /// current UTC month up to the end of today), <c>groupBy</c> any of <c>date,model,provider,operation,user,tenant,apiKey</c>,
    /// <c>orderBy</c> <c>dimensions|totalTokens|cost|requestCount</c>, <c>top</c>, filters <c>model</c>, <c>provider</c>,
    /// <c>operation</c>, <c>userId</c>, <c>tenantId</c>, <c>apiKeyId</c>, and <c>flush=true</c> to include records not yet
    /// delivered.</item>
    /// <item><c>GET {pattern}/budgets</c> — every budget policy's limit, used and remaining amounts and window for a
    /// subject (by default the caller's user, tenant and API key id).</item>
    /// </list>
    /// Authorization is required (<see cref="TokenAccountingApiOptions.AuthorizationPolicy"/>, or the default policy)
    /// unless <see cref="TokenAccountingApiOptions.AllowAnonymous"/>; callers see only their own tenant unless they satisfy
    /// <see cref="TokenAccountingApiOptions.AllTenantsPolicy"/>. Bad parameters are answered with a 400 ProblemDetails that
    /// names them. Totals lag recording by up to <see cref="TokenAccountingOptions.FlushInterval"/> unless <c>flush=true</c>.
    /// </summary>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="pattern">The route prefix.</param>
    /// <param name="configure">Configures <see cref="TokenAccountingApiOptions"/>; optional.</param>
    /// <returns>A builder for conventions on every endpoint of the API.</returns>
    /// <exception cref="InvalidOperationException">No <see cref="IUsageQuery"/> is registered (add a ledger: <c>AddJsonLinesSink</c>, <c>AddSqliteLedger</c> or <c>AddPostgreSqlLedger</c>).</exception>
    public static IEndpointConventionBuilder MapTokenAccountingApi(this IEndpointRouteBuilder endpoints, string pattern = "/usage", Action<TokenAccountingApiOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        var options = new TokenAccountingApiOptions();
        configure?.Invoke(options);
        options.Validate();
        if (endpoints.ServiceProvider.GetService<IUsageQuery>() is null)
        {
            throw new InvalidOperationException("MapTokenAccountingApi() reads usage through IUsageQuery, and none is registered: add a queryable ledger (AddJsonLinesSink, AddSqliteLedger or AddPostgreSqlLedger register one) or register an IUsageQuery.");
        }

        if (endpoints.ServiceProvider.GetService<IHttpUsageAttributionResolver>() is null)
        {
            throw new InvalidOperationException("MapTokenAccountingApi() needs the services of services.AddTokenAccounting().AddAspNetCore(); call it when configuring services.");
        }

        var handlers = new SpendApiEndpoints(options);
        var group = endpoints.MapGroup(pattern);
        group.MapGet("/totals", (Func<HttpContext, Task<IResult>>)handlers.GetTotalsAsync).WithName("TokenAccountingTotals" + pattern);
        group.MapGet("/budgets", (Func<HttpContext, Task<IResult>>)handlers.GetBudgetsAsync).WithName("TokenAccountingBudgets" + pattern);
        if (options.AllowAnonymous)
        {
            group.AllowAnonymous();
        }
        else if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }
        else
        {
            group.RequireAuthorization();
        }

        return group;
    }
}
