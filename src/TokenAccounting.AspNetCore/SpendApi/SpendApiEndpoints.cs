using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace TokenAccounting.AspNetCore;

/// <summary>The handlers of the spend API: totals over <see cref="IUsageQuery"/> and budget states from <see cref="BudgetManager"/>.</summary>
internal sealed class SpendApiEndpoints(TokenAccountingApiOptions options)
{
    private static readonly Dictionary<string, UsageDimension> Dimensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["date"] = UsageDimension.Date,
        ["model"] = UsageDimension.Model,
        ["provider"] = UsageDimension.Provider,
        ["operation"] = UsageDimension.Operation,
        ["user"] = UsageDimension.User,
        ["tenant"] = UsageDimension.Tenant,
        ["apiKey"] = UsageDimension.ApiKey,
    };

    private static readonly Dictionary<string, UsageQueryOrder> Orders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["dimensions"] = UsageQueryOrder.Dimensions,
        ["totalTokens"] = UsageQueryOrder.TotalTokens,
        ["cost"] = UsageQueryOrder.Cost,
        ["requestCount"] = UsageQueryOrder.RequestCount,
    };

    public async Task<IResult> GetTotalsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var now = time.GetUtcNow();
        var query = context.Request.Query;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);

        var today = new DateTimeOffset(now.Year, now.Month, now.Day, 0, 0, 0, TimeSpan.Zero);
        var from = ParseTime(query, "from", errors) ?? new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var to = ParseTime(query, "to", errors) ?? today.AddDays(1);
        if (!errors.ContainsKey("from") && !errors.ContainsKey("to") && to <= from)
        {
            errors["to"] = [$"'to' ({to:O}) must be later than 'from' ({from:O})."];
        }

        var groupBy = ParseGroupBy(query, errors);
        var orderBy = UsageQueryOrder.Dimensions;
        if (Single(query, "orderBy", errors) is { } order && !Orders.TryGetValue(order, out orderBy))
        {
            errors["orderBy"] = [$"'{order}' is not an order; use one of {string.Join(", ", Orders.Keys)}."];
        }

        int? top = null;
        if (Single(query, "top", errors) is { } topText)
        {
            if (int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= options.MaxTop)
            {
                top = n;
            }
            else
            {
                errors["top"] = [$"'{topText}' is not a whole number from 1 to {options.MaxTop}."];
            }
        }

        var flush = false;
        if (Single(query, "flush", errors) is { } flushText)
        {
            if (!bool.TryParse(flushText, out flush))
            {
                errors["flush"] = [$"'{flushText}' is not true or false."];
            }
            else if (flush && !options.AllowFlush)
            {
                errors["flush"] = ["Flushing before a query is not allowed by this API (TokenAccountingApiOptions.AllowFlush)."];
            }
        }

        var model = Single(query, "model", errors);
        var provider = Single(query, "provider", errors);
        var operation = Single(query, "operation", errors);
        var userId = Single(query, "userId", errors);
        var tenantId = Single(query, "tenantId", errors);
        var apiKeyId = Single(query, "apiKeyId", errors);
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }

        var caller = await CallerAsync(context).ConfigureAwait(false);
        if (!caller.AllTenants)
        {
            if (caller.TenantId is null)
            {
                return Forbidden("The caller has no tenant claim; only callers allowed to read all tenants may read usage without one.");
            }

            if (tenantId is not null && tenantId != caller.TenantId)
            {
                return Forbidden($"The parameter 'tenantId' names another tenant than the caller's ('{caller.TenantId}').");
            }

            tenantId = caller.TenantId;
        }

        var usage = services.GetRequiredService<IUsageQuery>();
        long? pending = null;
        if (flush && services.GetService<IUsageRecorder>() is { } recorder)
        {
            await recorder.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            if (recorder is UsageRecorder concrete)
            {
                var diagnostics = concrete.GetDiagnostics();
                pending = diagnostics.QueueLength + diagnostics.Sinks.Sum(s => (long)s.BufferedRecords);
            }
        }

        var result = await usage.QueryTotalsAsync(
            new UsageQuery(from, to)
            {
                GroupBy = groupBy,
                OrderBy = orderBy,
                Top = top,
                Model = model,
                Provider = provider,
                Operation = operation is null ? null : new UsageOperation(operation),
                UserId = userId,
                TenantId = tenantId,
                ApiKeyId = apiKeyId,
            },
            context.RequestAborted).ConfigureAwait(false);

        var rows = result.Rows.Select(r => new TotalsRow(
            r.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            r.Model,
            r.Provider,
            r.Operation?.Value,
            r.UserId,
            r.TenantId,
            r.ApiKeyId,
            new TokensDto(r.Tokens.Input, r.Tokens.Output, r.Tokens.CachedInput, r.Tokens.CacheWriteInput, r.Tokens.Reasoning, r.Tokens.Total),
            r.RequestCount,
            r.Cost?.Total,
            r.UnpricedRequestCount)).ToList();
        var names = groupBy.Select(d => Dimensions.First(p => p.Value == d).Key).ToList();
        var response = new TotalsResponse(from, to, result.Source == UsageQuerySource.Rollups ? "rollups" : "details", names, tenantId, pending, rows);
        return Results.Json(response, SpendApiJsonContext.Default.TotalsResponse);
    }

    public async Task<IResult> GetBudgetsAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var query = context.Request.Query;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var userId = Single(query, "userId", errors);
        var tenantId = Single(query, "tenantId", errors);
        var apiKeyId = Single(query, "apiKeyId", errors);
        if (errors.Count > 0)
        {
            return BadRequest(errors);
        }

        var caller = await CallerAsync(context).ConfigureAwait(false);
        if (!caller.AllTenants)
        {
            // A user's or API key's counter spans tenants: only the caller's own subject is theirs to read.
            foreach (var (name, asked, own) in new[] { ("userId", userId, caller.UserId), ("tenantId", tenantId, caller.TenantId), ("apiKeyId", apiKeyId, caller.ApiKeyId) })
            {
                if (asked is not null && asked != own)
                {
                    return Forbidden($"The parameter '{name}' names another subject than the caller; only callers allowed to read all tenants may read other subjects' budgets.");
                }
            }

            (userId, tenantId, apiKeyId) = (caller.UserId, caller.TenantId, caller.ApiKeyId);
        }

        var subject = new BudgetSubject { UserId = userId, TenantId = tenantId, ApiKeyId = apiKeyId };
        var now = (services.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var states = new List<BudgetStateDto>();
        if (services.GetService<BudgetManager>() is { } budgets)
        {
            foreach (var policy in budgets.Policies)
            {
                var used = await budgets.GetUsedAsync(policy.Name, subject, context.RequestAborted).ConfigureAwait(false);
                var window = policy.Window;
                DateTimeOffset? start = window.Kind is BudgetWindowKind.Lifetime ? null : window.GetStart(now);
                DateTimeOffset? end = window.Kind switch
                {
                    BudgetWindowKind.UtcDay => start!.Value.AddDays(1),
                    BudgetWindowKind.UtcMonth => start!.Value.AddMonths(1),
                    _ => null,
                };
                states.Add(new BudgetStateDto(
                    policy.Name,
                    policy.Dimension.ToString(),
                    policy.Unit.ToString(),
                    window.ToString(),
                    policy.Enforcement.ToString(),
                    used is not null,
                    policy.Limit,
                    used,
                    used is { } u ? Math.Max(0m, policy.Limit - u) : null,
                    policy.WarningThreshold,
                    start,
                    end));
            }
        }

        return Results.Json(new BudgetsResponse(new SubjectDto(userId, tenantId, apiKeyId), now, states), SpendApiJsonContext.Default.BudgetsResponse);
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

    private static DateTimeOffset? ParseTime(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        if (Single(query, name, errors) is not { } text)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value;
        }

        errors[name] = [$"'{text}' is not a date or an ISO 8601 date and time (for example 2026-12-01 or 2026-12-01T12:00:00Z)."];
        return null;
    }

    private static List<UsageDimension> ParseGroupBy(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var dimensions = new List<UsageDimension>();
        if (!query.TryGetValue("groupBy", out var values))
        {
            return dimensions;
        }

        foreach (var part in values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!Dimensions.TryGetValue(part, out var dimension))
            {
                errors["groupBy"] = [$"'{part}' is not a dimension; use one or more of {string.Join(", ", Dimensions.Keys)}, separated by commas."];
                return dimensions;
            }

            if (dimensions.Contains(dimension))
            {
                errors["groupBy"] = [$"'{part}' appears twice."];
                return dimensions;
            }

            dimensions.Add(dimension);
        }

        return dimensions;
    }

    private static string? Single(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        if (!query.TryGetValue(name, out StringValues values))
        {
            return null;
        }

        if (values.Count != 1 || string.IsNullOrWhiteSpace(values[0]))
        {
            errors[name] = [values.Count > 1 ? $"'{name}' is given {values.Count} times; give it once." : $"'{name}' is empty."];
            return null;
        }

        return values[0];
    }

    private static IResult BadRequest(Dictionary<string, string[]> errors) =>
        Results.ValidationProblem(
            errors,
            detail: "Invalid query parameter" + (errors.Count > 1 ? "s " : " ") + string.Join(", ", errors.Keys.Select(k => $"'{k}'")) + ": " + string.Join(" ", errors.Values.SelectMany(v => v)),
            title: "Invalid query parameters");

    private static IResult Forbidden(string detail) =>
        Results.Problem(detail: detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    private readonly record struct Caller(string? UserId, string? TenantId, string? ApiKeyId, bool AllTenants);
}
