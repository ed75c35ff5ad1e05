using System.Globalization;
using System.Net;
using System.Text;
using TokenAccounting.Reporting;

namespace TokenAccounting.AspNetCore;

/// <summary>One budget gauge: a policy's use by one subject in its current window, from the budget store.</summary>
internal sealed record BudgetGauge(BudgetPolicy Policy, string? Subject, decimal? Used, DateTimeOffset? WindowStart, DateTimeOffset? WindowEnd, string? Error)
{
    public string State =>
        Error is not null || Used is null ? "unknown"
        : Used >= Policy.Limit ? "exceeded"
        : Policy.WarningThreshold is { } threshold && Used >= Policy.Limit * (decimal)threshold ? "warning"
        : "ok";
}

/// <summary>What the content of one dashboard view holds besides the report.</summary>
internal sealed record DashboardView(
    SpendReport Report,
    string? TenantId,
    IReadOnlyList<BudgetGauge> Budgets,
    bool HasBudgetManager,
    UsagePipelineDiagnostics? Pipeline,
    IReadOnlyList<SinkHealth> Sinks,
    bool ShowsPipeline);

/// <summary>
/// Renders the dashboard: the page (controls, then the content) and the content alone (what auto-refresh reloads).
/// No inline script or style anywhere: behaviour and looks come from the embedded files, so the page runs under a
/// Content-Security-Policy without <c>unsafe-inline</c>.
/// </summary>
internal static class DashboardHtml
{
    private static readonly (string Value, string Label)[] Groupings =
    [
        ("", "no extra grouping"),
        ("model", "model"),
        ("provider", "provider"),
        ("operation", "operation"),
        ("user", "user"),
        ("tenant", "tenant"),
        ("apiKey", "API key"),
        ("date", "day"),
        ("user,model", "user, then model"),
        ("tenant,model", "tenant, then model"),
        ("tenant,user", "tenant, then user"),
        ("apiKey,model", "API key, then model"),
    ];

    public static string Page(string basePath, DashboardRequest request, TokenAccountingDashboardOptions options, string content)
    {
        var html = new StringBuilder();
        Head(html, basePath, "Token spend dashboard");
        var seconds = (long)options.RefreshInterval.TotalSeconds;
        html.Append(CultureInfo.InvariantCulture, $"<div id=\"dashboard\" data-content-url=\"{Attr(basePath + "/content")}\" data-refresh-seconds=\"{seconds}\">\n");
        html.Append("<header class=\"dashboard-header\">\n<p class=\"dashboard-title\">Token spend dashboard</p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<form id=\"dashboard-controls\" method=\"get\" action=\"{Attr(basePath)}\">\n");
        html.Append("<fieldset>\n<legend>Range (UTC days) and grouping</legend>\n");
        html.Append(CultureInfo.InvariantCulture, $"<label for=\"from\">From</label> <input type=\"date\" id=\"from\" name=\"from\" value=\"{DashboardRequest.Text(request.From)}\" required>\n");
        html.Append(CultureInfo.InvariantCulture, $"<label for=\"to\">to</label> <input type=\"date\" id=\"to\" name=\"to\" value=\"{DashboardRequest.Text(request.To)}\" required>\n");
        html.Append("<label for=\"groupBy\">Group by</label> <select id=\"groupBy\" name=\"groupBy\">\n");
        var selected = request.GroupByText;
        var choices = Groupings.ToList();
        if (!choices.Any(g => string.Equals(g.Value, selected, StringComparison.Ordinal)))
        {
            choices.Add((selected, selected.Replace(",", ", then ", StringComparison.Ordinal)));
        }

        foreach (var (value, label) in choices)
        {
            html.Append(CultureInfo.InvariantCulture, $"<option value=\"{Attr(value)}\"{(value == selected ? " selected" : string.Empty)}>{Encode(label)}</option>\n");
        }

        html.Append("</select>\n<button type=\"submit\">Show</button>\n</fieldset>\n</form>\n");
        html.Append("<div class=\"refresh\">\n");
        if (seconds > 0)
        {
            html.Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" id=\"auto-refresh\" checked> Refresh every {Interval(options.RefreshInterval)}</label>\n");
        }

        html.Append("<button type=\"button\" id=\"refresh-now\">Refresh now</button>\n");
        html.Append("<span id=\"refresh-status\" role=\"status\"></span>\n</div>\n</header>\n");
        html.Append("<div id=\"dashboard-content\">\n").Append(content).Append("</div>\n</div>\n</body>\n</html>\n");
        return html.ToString();
    }

    public static string Content(DashboardView view)
    {
        var html = new StringBuilder();
        var report = view.Report;
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"dashboard-view\" data-generated=\"{report.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\" data-source=\"{(report.Source == UsageQuerySource.Rollups ? "rollups" : "details")}\"");
        if (view.TenantId is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $" data-tenant=\"{Attr(view.TenantId)}\"");
        }

        html.Append(">\n");
        if (view.TenantId is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"tenant-note\">Usage of tenant <strong>{Encode(view.TenantId)}</strong> only.</p>\n");
        }

        html.Append("<div class=\"live\">\n");
        Budgets(html, view);
        if (view.ShowsPipeline)
        {
            Pipeline(html, view);
        }

        html.Append("</div>\n");
        html.Append(SpendReportHtml.RenderFragment(report));
        html.Append("</div>\n");
        return html.ToString();
    }

    public static string Error(string basePath, int status, string title, IReadOnlyDictionary<string, string> messages, bool page)
    {
        var html = new StringBuilder();
        if (page)
        {
            Head(html, basePath, title);
        }

        html.Append(CultureInfo.InvariantCulture, $"<div class=\"dashboard-error\" data-status=\"{status}\">\n<h1>{Encode(title)}</h1>\n<ul>\n");
        foreach (var (name, message) in messages)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li data-error=\"{Attr(name)}\">{Encode(message)}</li>\n");
        }

        html.Append("</ul>\n");
        if (page)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{Attr(basePath)}\">Show the default range</a></p>\n</div>\n</body>\n</html>\n");
        }
        else
        {
            html.Append("</div>\n");
        }

        return html.ToString();
    }

    private static void Head(StringBuilder html, string basePath, string title)
    {
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<meta name=\"referrer\" content=\"no-referrer\">\n<link rel=\"icon\" href=\"data:,\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<title>{Encode(title)}</title>\n");
        html.Append(CultureInfo.InvariantCulture, $"<link rel=\"stylesheet\" href=\"{Attr(basePath + DashboardAssets.StylePath)}\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<script src=\"{Attr(basePath + DashboardAssets.ScriptPath)}\" defer></script>\n</head>\n<body>\n");
    }

    private static void Budgets(StringBuilder html, DashboardView view)
    {
        html.Append("<section id=\"live-budgets\" aria-labelledby=\"live-budgets-h\">\n<h2 id=\"live-budgets-h\">Budgets now</h2>\n");
        if (!view.HasBudgetManager)
        {
            html.Append("<p class=\"empty\">No budgets are configured (AddBudgets).</p>\n</section>\n");
            return;
        }

        if (view.Budgets.Count == 0)
        {
            html.Append("<p class=\"empty\">No budget applies to what this view shows.</p>\n</section>\n");
            return;
        }

        html.Append("<div class=\"table-wrap\"><table data-table=\"live-budgets\">\n<caption>Each budget's use in its current window, as the budget store counts it (reservations included)</caption>\n");
        html.Append("<thead><tr><th scope=\"col\">budget</th><th scope=\"col\">subject</th><th scope=\"col\">window</th><th scope=\"col\" class=\"num\">used</th><th scope=\"col\" class=\"num\">limit</th><th scope=\"col\" class=\"num\">remaining</th><th scope=\"col\">gauge</th><th scope=\"col\">state</th></tr></thead>\n<tbody>\n");
        foreach (var gauge in view.Budgets)
        {
            var policy = gauge.Policy;
            var unit = policy.Unit == BudgetUnit.Tokens ? "tokens" : "USD";
            html.Append(CultureInfo.InvariantCulture, $"<tr data-budget=\"{Attr(policy.Name)}\" data-subject=\"{Attr(gauge.Subject ?? string.Empty)}\" data-state=\"{gauge.State}\"");
            if (gauge.Used is { } raw)
            {
                html.Append(CultureInfo.InvariantCulture, $" data-used=\"{Raw(raw)}\"");
            }

            html.Append(CultureInfo.InvariantCulture, $" data-limit=\"{Raw(policy.Limit)}\">");
            html.Append(CultureInfo.InvariantCulture, $"<th scope=\"row\">{Encode(policy.Name)}</th><td>{Encode(SubjectLabel(policy, gauge.Subject))}</td><td>{Encode(WindowLabel(gauge))}</td>");
            if (gauge.Used is { } used)
            {
                var remaining = Math.Max(0m, policy.Limit - used);
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{Amount(used, policy.Unit)} {unit}</td><td class=\"num\">{Amount(policy.Limit, policy.Unit)} {unit}</td><td class=\"num\">{Amount(remaining, policy.Unit)} {unit}</td>");
                var warn = policy.Limit * (decimal)(policy.WarningThreshold ?? 1d);
                var share = policy.Limit == 0m ? 1m : used / policy.Limit;
                html.Append(CultureInfo.InvariantCulture, $"<td><meter min=\"0\" max=\"{Raw(policy.Limit)}\" low=\"{Raw(warn)}\" high=\"{Raw(warn)}\" optimum=\"0\" value=\"{Raw(Math.Min(used, policy.Limit))}\" title=\"{(share * 100m).ToString("0.0", CultureInfo.InvariantCulture)} % used\">{(share * 100m).ToString("0.0", CultureInfo.InvariantCulture)} %</meter></td>");
            }
            else
            {
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"num\" colspan=\"4\">{Encode(gauge.Error ?? "not known")}</td>");
            }

            html.Append(CultureInfo.InvariantCulture, $"<td class=\"state state-{gauge.State}\">{gauge.State}</td></tr>\n");
        }

        html.Append("</tbody>\n</table></div>\n</section>\n");
    }

    private static void Pipeline(StringBuilder html, DashboardView view)
    {
        html.Append("<section id=\"pipeline-health\" aria-labelledby=\"pipeline-health-h\">\n<h2 id=\"pipeline-health-h\">Pipeline health</h2>\n");
        if (view.Pipeline is not { } pipeline)
        {
            html.Append("<p class=\"empty\">The registered IUsageRecorder is not a UsageRecorder: no pipeline counters to show.</p>\n</section>\n");
            return;
        }

        var failing = view.Sinks.Count(s => s.Failing);
        var overall = failing > 0 || view.Sinks.Any(s => s.DroppedSincePreviousLook > 0) ? "attention" : "ok";
        html.Append(CultureInfo.InvariantCulture, $"<dl class=\"kpis\" data-pipeline=\"{overall}\">\n");
        Kpi(html, "records-accepted", "Records accepted", pipeline.RecordsAccepted);
        Kpi(html, "queue-length", "Waiting in the ingest queue", pipeline.QueueLength);
        Kpi(html, "buffered", "Buffered for sinks", view.Sinks.Sum(s => (long)s.Sink.BufferedRecords));
        Kpi(html, "dropped", "Details dropped", view.Sinks.Sum(s => s.Sink.DroppedRecords));
        Kpi(html, "quarantined", "Quarantined", view.Sinks.Sum(s => s.Sink.QuarantinedRecords + s.Sink.QuarantinedRollups));
        Kpi(html, "failing-sinks", "Failing sinks", failing);
        Kpi(html, "stage-failures", "Stage failures", pipeline.StageFailures);
        html.Append("</dl>\n");
        html.Append("<div class=\"table-wrap\"><table data-table=\"pipeline-sinks\">\n<caption>Per sink since the recorder started; the status compares with the dashboard's previous look</caption>\n");
        html.Append("<thead><tr><th scope=\"col\">sink</th><th scope=\"col\">status</th><th scope=\"col\" class=\"num\">buffered</th><th scope=\"col\" class=\"num\">pending rollups</th><th scope=\"col\" class=\"num\">delivered</th><th scope=\"col\" class=\"num\">dropped</th><th scope=\"col\" class=\"num\">quarantined</th><th scope=\"col\" class=\"num\">failed attempts</th><th scope=\"col\" class=\"num\">retries</th></tr></thead>\n<tbody>\n");
        foreach (var health in view.Sinks)
        {
            var s = health.Sink;
            html.Append(CultureInfo.InvariantCulture, $"<tr data-sink=\"{Attr(s.Name)}\" data-status=\"{health.Status}\"><th scope=\"row\">{Encode(s.Name)}</th><td class=\"state state-{health.Status}\">{health.Status}</td>");
            foreach (var value in new long[] { s.BufferedRecords, s.PendingRollups, s.DeliveredRecords, s.DroppedRecords, s.QuarantinedRecords + s.QuarantinedRollups, s.FailedAttempts, s.Retries })
            {
                html.Append(CultureInfo.InvariantCulture, $"<td class=\"num\">{value.ToString("N0", CultureInfo.InvariantCulture)}</td>");
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table></div>\n</section>\n");
    }

    private static void Kpi(StringBuilder html, string metric, string label, long value) =>
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"kpi\"><dt>{Encode(label)}</dt><dd data-metric=\"{metric}\">{value.ToString("N0", CultureInfo.InvariantCulture)}</dd></div>\n");

    private static string SubjectLabel(BudgetPolicy policy, string? subject) => policy.Dimension switch
    {
        BudgetDimension.Global => "all usage",
        BudgetDimension.User => "user " + subject,
        BudgetDimension.Tenant => "tenant " + subject,
        BudgetDimension.ApiKey => "API key " + subject,
        _ => subject ?? string.Empty,
    };

    private static string WindowLabel(BudgetGauge gauge) => gauge.Policy.Window.Kind switch
    {
        BudgetWindowKind.UtcDay => "today (UTC)" + Resets(gauge),
        BudgetWindowKind.UtcMonth => "this month (UTC)" + Resets(gauge),
        BudgetWindowKind.Rolling => "the last " + Interval(gauge.Policy.Window.Duration),
        _ => "lifetime",
    };

    private static string Resets(BudgetGauge gauge) =>
        gauge.WindowEnd is { } end && end != DateTimeOffset.MaxValue ? ", resets " + end.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture) : string.Empty;

    private static string Interval(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0} d"
        : span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0} h"
        : span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? $"{span.TotalMinutes:0} min"
        : $"{span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s";

    private static string Amount(decimal value, BudgetUnit unit) =>
        unit == BudgetUnit.Tokens ? value.ToString("#,0.############", CultureInfo.InvariantCulture) : value.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Raw(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    private static string Encode(string value) => WebUtility.HtmlEncode(value);

    private static string Attr(string value) => WebUtility.HtmlEncode(value);
}
