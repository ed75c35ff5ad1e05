using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace TokenAccounting.AspNetCore;

/// <summary>
/// Opens a <see cref="UsageScope"/> per request with the resolved attribution, answers a denied budget with 429, and
/// names crossed budget warnings in a response header.
/// </summary>
/// <remarks>
/// The request's scope is deliberately not disposed when the response completes: work the request started
/// (<c>Task.Run</c>, fire-and-forget tasks, timers) captured its execution context and keeps recording under the
/// request's attribution after the response is sent. The scope is unreachable once that work ends, and collected.
/// The middleware's own flow does not keep it: an async method's changes to async-local state end with it.
/// </remarks>
internal sealed partial class TokenAccountingMiddleware
{
    private static readonly AsyncLocal<RequestFeature?> CurrentRequest = new();

    private readonly RequestDelegate _next;
    private readonly IHttpUsageAttributionResolver _resolver;
    private readonly BudgetProblemWriter _problems;
    private readonly ILogger _logger;
    private readonly string _scopeName;
    private readonly string? _warningHeader;

    public TokenAccountingMiddleware(
        RequestDelegate next,
        IHttpUsageAttributionResolver resolver,
        BudgetProblemWriter problems,
        IOptions<TokenAccountingHttpOptions> options,
        ILogger<TokenAccountingMiddleware> logger,
        IServiceProvider services)
    {
        _next = next;
        _resolver = resolver;
        _problems = problems;
        _logger = logger;
        _scopeName = options.Value.ScopeName;
        // The header names the policy and its amounts: hidden with the rest of the budget details.
        _warningHeader = options.Value.IncludeBudgetDetails ? options.Value.BudgetWarningHeaderName : null;
        if (_warningHeader is not null && services.GetService(typeof(BudgetManager)) is BudgetManager budgets)
        {
            // Raised synchronously by the reservation that crossed the threshold, on the request's flow.
            budgets.WarningThresholdCrossed += OnBudgetWarning;
        }
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var attribution = await _resolver.ResolveAsync(context).ConfigureAwait(false);
        var scope = UsageScope.Begin(_scopeName, attribution.UserId, attribution.TenantId, attribution.ApiKeyId, attribution.Route, attribution.Tags);
        var feature = new RequestFeature(attribution, scope, context);
        context.Features.Set<IHttpUsageAttributionFeature>(feature);
        CurrentRequest.Value = feature;
        try
        {
            await _next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (BudgetProblemWriter.Find(ex) is { } budget)
        {
            if (context.Response.HasStarted)
            {
                // A streamed response cannot change its status any more: let the server abort it.
                LogDeniedAfterStart(_logger, budget.Policy.Name);
                throw;
            }

            context.Response.Clear();
            await _problems.WriteAsync(context, budget, ex).ConfigureAwait(false);
        }
        finally
        {
            // Work the request started may outlive it and still hold this feature: let go of the (pooled) context.
            feature.Context = null;
        }
    }

    private void OnBudgetWarning(object? sender, BudgetWarningEventArgs e)
    {
        if (CurrentRequest.Value?.Context is not { } context)
        {
            return;
        }

        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.Headers.Append(
            _warningHeader!,
            string.Create(CultureInfo.InvariantCulture, $"{e.Policy.Name}; used={e.Used}; limit={e.Limit}; remaining={e.Remaining}"));
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Budget '{Policy}' denied a reservation after the response had started; the response is aborted instead of answered with 429.")]
    private static partial void LogDeniedAfterStart(ILogger logger, string policy);

    private sealed class RequestFeature(HttpUsageAttribution attribution, UsageScope scope, HttpContext context) : IHttpUsageAttributionFeature
    {
        private HttpContext? _context = context;

        public HttpUsageAttribution Attribution { get; } = attribution;

        public UsageScope Scope { get; } = scope;

        public HttpContext? Context
        {
            get => Volatile.Read(ref _context);
            set => Volatile.Write(ref _context, value);
        }
    }
}
