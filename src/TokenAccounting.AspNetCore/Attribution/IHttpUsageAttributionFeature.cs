namespace TokenAccounting.AspNetCore;

/// <summary>
/// The request's attribution and scope, set on <c>HttpContext.Features</c> by the <c>UseTokenAccounting()</c>
/// middleware. Work handed to a queue that another flow drains (a <c>BackgroundService</c>, a channel) does not inherit
/// the request's <see cref="UsageScope"/>: capture <see cref="Attribution"/> here and open a scope with it there.
/// </summary>
public interface IHttpUsageAttributionFeature
{
    /// <summary>Gets the resolved attribution of the request.</summary>
    HttpUsageAttribution Attribution { get; }

    /// <summary>Gets the request's scope: its <see cref="UsageScope.Totals"/> are what the request used so far.</summary>
    UsageScope Scope { get; }
}
