using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting;
using TokenAccounting.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the TokenAccounting spend dashboard.</summary>
public static class TokenAccountingDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a live spend dashboard at <paramref name="pattern"/>: the report of <c>TokenAccounting.Reporting</c> (totals,
    /// cost per day by model, top users and tenants, tokens by type, cache savings, every breakdown) over the registered
    /// <see cref="IUsageQuery"/>, with a date-range picker, a grouping switch, auto-refresh, gauges of the configured
    /// budgets (<see cref="BudgetManager"/>) and the delivery pipeline's health (buffered, dropped, quarantined, failing
    /// sinks). Besides the page it maps <c>{pattern}/content</c> (what auto-refresh reloads) and
    /// <c>{pattern}/assets/dashboard.js</c> and <c>.css</c>, embedded in this package.
    /// </summary>
    /// <remarks>
    /// The query holds only the range (<c>from</c>, <c>to</c>: UTC days, both included) and <c>groupBy</c>. Every response
    /// carries a Content-Security-Policy that allows scripts, styles and fetches from the app only (the page has no inline
    /// script or style), <c>X-Content-Type-Options: nosniff</c> and <c>X-Frame-Options: DENY</c>. Authorization is required
    /// (<see cref="TokenAccountingDashboardOptions.AuthorizationPolicy"/>, or the default policy) unless
    /// <see cref="TokenAccountingDashboardOptions.AllowAnonymous"/>; callers see only their own tenant unless they satisfy
    /// <see cref="TokenAccountingDashboardOptions.AllTenantsPolicy"/>. Figures lag recording by up to
    /// <see cref="TokenAccountingOptions.FlushInterval"/>.
    /// </remarks>
    /// <param name="endpoints">The endpoint route builder.</param>
    /// <param name="pattern">The page's path.</param>
    /// <param name="configure">Configures <see cref="TokenAccountingDashboardOptions"/>; optional.</param>
    /// <returns>A builder for conventions on every endpoint of the dashboard (for example <c>.RequireAuthorization("ops")</c>).</returns>
    /// <exception cref="ArgumentException">The options are invalid; the message names the option.</exception>
    /// <exception cref="InvalidOperationException">No <see cref="IUsageQuery"/> is registered (add a ledger: <c>AddJsonLinesSink</c>, <c>AddSqliteLedger</c> or <c>AddPostgreSqlLedger</c>), or <c>AddAspNetCore()</c> was not called.</exception>
    public static IEndpointConventionBuilder MapTokenAccountingDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/usage/dashboard", Action<TokenAccountingDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        if (!pattern.StartsWith('/'))
        {
            throw new ArgumentException($"The dashboard's pattern must start with '/'; '{pattern}' does not.", nameof(pattern));
        }

        var options = new TokenAccountingDashboardOptions();
        configure?.Invoke(options);
        options.Validate();
        if (endpoints.ServiceProvider.GetService<IUsageQuery>() is null)
        {
            throw new InvalidOperationException("MapTokenAccountingDashboard() reads usage through IUsageQuery, and none is registered: add a queryable ledger (AddJsonLinesSink, AddSqliteLedger or AddPostgreSqlLedger register one) or register an IUsageQuery.");
        }

        if (endpoints.ServiceProvider.GetService<IHttpUsageAttributionResolver>() is null)
        {
            throw new InvalidOperationException("MapTokenAccountingDashboard() needs the services of services.AddTokenAccounting().AddAspNetCore(); call it when configuring services.");
        }

        var trimmed = pattern.TrimEnd('/');
        var handlers = new DashboardEndpoints(options, trimmed);
        var group = endpoints.MapGroup(trimmed.Length == 0 ? "/" : trimmed);
        group.MapGet("/", (RequestDelegate)handlers.PageAsync).WithName("TokenAccountingDashboard" + trimmed);
        group.MapGet("/content", (RequestDelegate)handlers.ContentAsync).WithName("TokenAccountingDashboardContent" + trimmed);
        group.MapGet(DashboardAssets.ScriptPath, (RequestDelegate)DashboardAssets.ServeScriptAsync).WithName("TokenAccountingDashboardScript" + trimmed);
        group.MapGet(DashboardAssets.StylePath, (RequestDelegate)DashboardAssets.ServeStyleAsync).WithName("TokenAccountingDashboardStyle" + trimmed);
        group.ExcludeFromDescription();
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
