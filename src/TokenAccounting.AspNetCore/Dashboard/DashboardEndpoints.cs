using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Reporting;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// The dashboard's handlers: the page and its content (a <see cref="SpendReport"/> over the app's
/// <see cref="IUsageQuery"/>, budget gauges from <see cref="BudgetManager"/>, pipeline health from
/// <see cref="UsageRecorder.GetDiagnostics"/>), with the spend API's tenant rules.
/// </summary>
internal sealed class DashboardEndpoints(TokenAccountingDashboardOptions options, string pattern)
{
    private readonly PipelineHealthTracker _health = new();

    public Task PageAsync(HttpContext context) => RenderAsync(context, page: true);

    public Task ContentAsync(HttpContext context) => RenderAsync(context, page: false);

    private async Task RenderAsync(HttpContext context, bool page)
    {
        var response = context.Response;
        DashboardHeaders.Apply(response);
        response.Headers.CacheControl = "no-store";
        var services = context.RequestServices;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var basePath = (context.Request.PathBase.Value + pattern).TrimEnd('/');
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var request = DashboardRequest.Parse(context.Request.Query, time.GetUtcNow(), options, errors);
        if (request is null)
        {
            await WriteAsync(context, StatusCodes.Status400BadRequest, DashboardHtml.Error(basePath, 400, "Invalid query parameters", errors, page)).ConfigureAwait(false);
            return;
        }

        var caller = await CallerAsync(context).ConfigureAwait(false);
        IUsageQuery usage = services.GetRequiredService<IUsageQuery>();
        if (!caller.AllTenants)
        {
            if (caller.TenantId is null)
            {
                await WriteAsync(context, StatusCodes.Status403Forbidden, DashboardHtml.Error(basePath, 403, "Forbidden", new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["tenant"] = "The caller has no tenant claim; only callers allowed to see all tenants may open the dashboard without one.",
                }, page)).ConfigureAwait(false);
                return;
            }

            usage = new TenantUsageQuery(usage, caller.TenantId);
        }

        var report = await SpendReportBuilder.BuildAsync(
            usage,
            new SpendReportOptions(request.RangeStart, request.RangeEnd)
            {
                Top = options.Top,
                GroupBy = request.GroupBy,
                Prices = services.GetService<IPriceCatalog>() ?? PriceCatalog.BuiltIn,
            },
            time,
            context.RequestAborted).ConfigureAwait(false);

        var budgets = services.GetService<BudgetManager>();
        var gauges = budgets is null ? [] : await GaugesAsync(budgets, caller, report, time, context.RequestAborted).ConfigureAwait(false);
        UsagePipelineDiagnostics? pipeline = null;
        IReadOnlyList<SinkHealth> sinks = [];
        if (caller.AllTenants && services.GetService<IUsageRecorder>() is UsageRecorder recorder)
        {
            pipeline = recorder.GetDiagnostics();
            sinks = _health.Look(pipeline);
        }

        var content = DashboardHtml.Content(new DashboardView(report, caller.AllTenants ? null : caller.TenantId, gauges, budgets is not null, pipeline, sinks, caller.AllTenants));
        await WriteAsync(context, StatusCodes.Status200OK, page ? DashboardHtml.Page(basePath, request, options, content) : content).ConfigureAwait(false);
    }

    /// <summary>
    /// The gauges a caller may see: its own subject under every per-user, per-tenant and per-API-key policy; a caller
    /// allowed to see all tenants also sees global policies and every subject in the report's top rows. Global policies
    /// are hidden from tenant callers: their use counts every tenant. Per-scope and per-tag policies are not shown.
    /// </summary>
    private async Task<IReadOnlyList<BudgetGauge>> GaugesAsync(BudgetManager budgets, Caller caller, SpendReport report, TimeProvider time, CancellationToken cancellationToken)
    {
        var subjects = new List<BudgetSubject> { new() { UserId = caller.UserId, TenantId = caller.TenantId, ApiKeyId = caller.ApiKeyId } };
        if (caller.AllTenants)
        {
            subjects.AddRange(report.ByUser.Rows.Where(r => r.UserId is not null).Select(r => new BudgetSubject { UserId = r.UserId }));
            subjects.AddRange(report.ByTenant.Rows.Where(r => r.TenantId is not null).Select(r => new BudgetSubject { TenantId = r.TenantId }));
            subjects.AddRange(report.ByApiKey.Rows.Where(r => r.ApiKeyId is not null).Select(r => new BudgetSubject { ApiKeyId = r.ApiKeyId }));
        }

        var now = time.GetUtcNow();
        var gauges = new List<BudgetGauge>();
        foreach (var policy in budgets.Policies)
        {
            if (policy.Dimension is BudgetDimension.Scope or BudgetDimension.Tag || (policy.Dimension == BudgetDimension.Global && !caller.AllTenants))
            {
                continue;
            }

            var candidates = subjects;
            if (caller.AllTenants && policy.DimensionValue is { } value)
            {
                candidates = [.. subjects, policy.Dimension switch
                {
                    BudgetDimension.User => new BudgetSubject { UserId = value },
                    BudgetDimension.Tenant => new BudgetSubject { TenantId = value },
                    _ => new BudgetSubject { ApiKeyId = value },
                }];
            }

            var seen = new HashSet<string?>(StringComparer.Ordinal);
            var ofPolicy = new List<BudgetGauge>();
            foreach (var subject in candidates)
            {
                var key = policy.Dimension switch
                {
                    BudgetDimension.User => subject.UserId,
                    BudgetDimension.Tenant => subject.TenantId,
                    BudgetDimension.ApiKey => subject.ApiKeyId,
                    _ => null,
                };
                if ((policy.Dimension != BudgetDimension.Global && key is null) || !seen.Add(key))
                {
                    continue;
                }

                var start = policy.Window.Kind == BudgetWindowKind.Lifetime ? (DateTimeOffset?)null : policy.Window.GetStart(now);
                try
                {
                    if (await budgets.GetUsedAsync(policy.Name, subject, cancellationToken).ConfigureAwait(false) is { } used)
                    {
                        ofPolicy.Add(new BudgetGauge(policy, key, used, start, policy.Window.GetEnd(now), null));
                    }
                }
                catch (BudgetStoreException exception)
                {
                    ofPolicy.Add(new BudgetGauge(policy, key, null, start, policy.Window.GetEnd(now), "The budget store could not be read: " + exception.Message));
                }
            }

            gauges.AddRange(ofPolicy.OrderByDescending(g => g.Used is { } u ? u / policy.Limit : -1m).ThenBy(g => g.Subject, StringComparer.Ordinal).Take(options.Top));
        }

        return gauges;
    }

    private async Task<Caller> CallerAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var attribution = context.Features.Get<IHttpUsageAttributionFeature>()?.Attribution
            ?? await services.GetRequiredService<IHttpUsageAttributionResolver>().ResolveAsync(context).ConfigureAwait(false);
        var allTenants = false;
        if (options.AllTenantsPolicy is { } policy)
        {
            var authorization = services.GetRequiredService<IAuthorizationService>();
            allTenants = (await authorization.AuthorizeAsync(context.User, policy).ConfigureAwait(false)).Succeeded;
        }

        return new Caller(attribution.UserId, attribution.TenantId, attribution.ApiKeyId, allTenants);
    }

    private static async Task WriteAsync(HttpContext context, int status, string html)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);
    }

    private readonly record struct Caller(string? UserId, string? TenantId, string? ApiKeyId, bool AllTenants);
}
