using System.Globalization;
using System.Net;
using System.Text;

namespace TokenAccounting.Reporting;

/// <summary>
/// Renders a <see cref="SpendReport"/> as one self-contained HTML page: charts as inline SVG (drawn on the server, no
/// script, no network at view time), each followed by the table of its data, printable and readable by screen readers.
/// </summary>
/// <remarks>
/// A host that serves its own page (a dashboard) can embed <see cref="RenderFragment"/> inside its layout and link
/// <see cref="Stylesheet"/>; the fragment carries no script and no inline style attribute, so it passes a strict
/// Content-Security-Policy when the stylesheet is served as a file.
/// </remarks>
public static class SpendReportHtml
{
    /// <summary>Gets the page's CSS (screen and print), for hosts that serve <see cref="RenderFragment"/> in their own page.</summary>
    public static string Stylesheet => Css;

    /// <summary>Writes the whole page: <c>&lt;!DOCTYPE html&gt;</c>, the stylesheet inline, and the fragment.</summary>
    /// <param name="report">The report.</param>
    /// <param name="writer">Where to write.</param>
    public static void Write(SpendReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        writer.Write("<meta name=\"generator\" content=\"TokenAccounting.Reporting\">\n");
        writer.Write($"<title>Token spend, {Encode(ReportFormat.Range(report.From, report.To))}</title>\n<style>\n");
        writer.Write(Css);
        writer.Write("</style>\n</head>\n<body>\n");
        writer.Write(RenderFragment(report));
        writer.Write("</body>\n</html>\n");
    }

    /// <summary>Renders the whole page to a string.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The HTML document.</returns>
    public static string Render(SpendReport report)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(report, writer);
        return writer.ToString();
    }

    /// <summary>
    /// Renders the report's content as one <c>&lt;main id="spend-report"&gt;</c> element: header, totals, and a section per
    /// chart and breakdown. Every figure shown is in a table; tables and totals carry <c>data-*</c> attributes
    /// (<c>data-metric</c>, <c>data-table</c>) so a host or a test can find them.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <returns>The HTML fragment.</returns>
    public static string RenderFragment(SpendReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var html = new StringBuilder();
        var t = report.Totals;
        html.Append("<main id=\"spend-report\">\n<header>\n<h1>Token spend</h1>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"range\">{Encode(ReportFormat.Range(report.From, report.To))}</p>\n");
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"meta\">Generated {Encode(report.GeneratedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture))}; answered from {(report.Source == UsageQuerySource.Rollups ? "daily rollups (exact)" : "detail records")}. Money in US dollars, exact.</p>\n</header>\n");

        html.Append("<section id=\"totals\" aria-labelledby=\"totals-h\">\n<h2 id=\"totals-h\">Totals</h2>\n<dl class=\"kpis\">\n");
        Kpi(html, "cost-usd", "Cost USD", ReportFormat.Money(t.TotalCost), report.Change is { } c ? $"{ReportFormat.SignedMoney(c.CostDelta)} ({ReportFormat.Change(c.CostChange)}) vs previous period" : null);
        Kpi(html, "requests", "Requests", ReportFormat.Tokens(t.RequestCount), null);
        Kpi(html, "total-tokens", "Total tokens", ReportFormat.Tokens(t.Tokens.Total), report.Change is { } d ? $"{ReportFormat.Change(d.TokensChange)} vs previous period" : null);
        Kpi(html, "cache-savings-usd", "Saved by caching USD", ReportFormat.Money(t.CacheSavings), null);
        Kpi(html, "cache-share", "Cached share of input", ReportFormat.Share(t.CacheShare), null);
        Kpi(html, "reasoning-share", "Reasoning share of output", ReportFormat.Share(t.ReasoningShare), null);
        Kpi(html, "unpriced-requests", "Unpriced requests", ReportFormat.Tokens(t.UnpricedRequestCount), t.UnpricedRequestCount > 0 ? "not in the cost" : null);
        html.Append("</dl>\n");
        if (t.RequestCount == 0)
        {
            html.Append("<p class=\"empty\">No usage in this range.</p>\n");
        }

        html.Append("</section>\n");

        // Charts, each with its data.
        var dayTable = CostPerDayTable(report);
        Chart(html, "cost-per-day", "Cost per day, by model", SpendCharts.CostPerDayByModel(report, "chart-cost-per-day", "Cost per day in US dollars, stacked by model"), dayTable);
        Chart(html, "top-users", "Top users by cost",
            SpendCharts.HorizontalBars("chart-top-users", "Cost in US dollars of the top users", Items(report.ByUser), "cost USD", 0),
            SpendReportTables.Breakdown("by-user", "Top users", report.ByUser, t.TotalCost));
        Chart(html, "top-tenants", "Top tenants by cost",
            SpendCharts.HorizontalBars("chart-top-tenants", "Cost in US dollars of the top tenants", Items(report.ByTenant), "cost USD", 2),
            SpendReportTables.Breakdown("by-tenant", "Top tenants", report.ByTenant, t.TotalCost));
        var tokenTypes = TokenTypes(t.Tokens);
        Chart(html, "tokens-by-type", "Tokens by type",
            SpendCharts.HorizontalBars("chart-tokens-by-type", "Tokens by type", [.. tokenTypes.Select(x => (x.Name, (decimal)x.Tokens))], "tokens", 1),
            new ReportTable("tokens-by-type", "Tokens by type", ["type", "tokens", "share of total"], [false, true, true],
                [.. tokenTypes.Select(x => (IReadOnlyList<string>)[x.Name, ReportFormat.Tokens(x.Tokens), t.Tokens.Total == 0 ? "n/a" : ReportFormat.Share((decimal)x.Tokens / t.Tokens.Total)])]));
        Chart(html, "cache-savings", "Saved by prompt caching",
            SpendCharts.HorizontalBars("chart-cache-savings", "Money saved by prompt caching per model, in US dollars", [.. report.CacheSavings.Take(report.Options.Top).Select(s => (s.Model, s.Saved))], "saved USD", 3),
            SpendReportTables.Savings(report));

        // The remaining breakdowns as tables.
        foreach (var (id, title, breakdown) in SpendReportTables.Breakdowns(report))
        {
            if (id is "by-user" or "by-tenant" || breakdown.GroupCount == 0)
            {
                continue;
            }

            Section(html, id, title, SpendReportTables.Breakdown(id, title, breakdown, t.TotalCost));
        }

        Section(html, "by-day", "By day", SpendReportTables.Day(report));
        if (report.Unpriced.Count > 0)
        {
            Section(html, "unpriced", "Unpriced requests", SpendReportTables.Unpriced(report));
        }

        if (report.Budgets.Count > 0)
        {
            Section(html, "budgets", "Budgets", SpendReportTables.Budgets(report));
        }

        Section(html, "summary", "Summary", SpendReportTables.Summary(report));
        html.Append("</main>\n");
        return html.ToString();
    }

    internal static IReadOnlyList<(string Name, long Tokens)> TokenTypes(TokenCounts tokens) =>
    [
        ("uncached input", tokens.Input - tokens.CachedInput - tokens.CacheWriteInput),
        ("cached input (cache reads)", tokens.CachedInput),
        ("cache writes", tokens.CacheWriteInput),
        ("output (excluding reasoning)", tokens.Output - tokens.Reasoning),
        ("reasoning", tokens.Reasoning),
    ];

    private static List<(string Label, decimal Value)> Items(SpendBreakdown breakdown) =>
        [.. breakdown.Rows.Select(r => (ReportFormat.Label(r, breakdown.Dimensions), r.Cost?.Total ?? 0m))];

    private static ReportTable CostPerDayTable(SpendReport report)
    {
        var series = SpendCharts.SeriesModels(report);
        var hasOther = report.ByDayAndModel.Any(r => !series.Contains(r.Model ?? ReportFormat.None));
        var columns = new List<string> { "date" };
        columns.AddRange(series);
        if (hasOther)
        {
            columns.Add(SpendCharts.OtherSeries);
        }

        columns.Add("total USD");
        var rows = new List<IReadOnlyList<string>>();
        foreach (var day in report.ByDay)
        {
            var cells = new List<string> { ReportFormat.Date(day.Date) };
            var ofDay = report.ByDayAndModel.Where(r => r.Date == day.Date).ToList();
            foreach (var model in series)
            {
                cells.Add(ReportFormat.Money(ofDay.Where(r => (r.Model ?? ReportFormat.None) == model).Sum(r => r.Cost?.Total ?? 0m)));
            }

            if (hasOther)
            {
                cells.Add(ReportFormat.Money(ofDay.Where(r => !series.Contains(r.Model ?? ReportFormat.None)).Sum(r => r.Cost?.Total ?? 0m)));
            }

            cells.Add(ReportFormat.Money(day.Cost?.Total ?? 0m));
            rows.Add(cells);
        }

        return new ReportTable("cost-per-day", "Cost per day by model, US dollars", columns, [false, .. columns.Skip(1).Select(_ => true)], rows);
    }

    private static void Kpi(StringBuilder html, string metric, string label, string value, string? note)
    {
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"kpi\"><dt>{Encode(label)}</dt><dd data-metric=\"{metric}\">{Encode(value)}</dd>");
        if (note is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<dd class=\"note\">{Encode(note)}</dd>");
        }

        html.Append("</div>\n");
    }

    private static void Chart(StringBuilder html, string id, string title, string? svg, ReportTable data)
    {
        html.Append(CultureInfo.InvariantCulture, $"<section id=\"{id}\" class=\"chart-section\" aria-labelledby=\"{id}-h\">\n<h2 id=\"{id}-h\">{Encode(title)}</h2>\n");
        if (data.Rows.Count == 0)
        {
            html.Append("<p class=\"empty\">Nothing to show in this range.</p>\n</section>\n");
            return;
        }

        html.Append("<figure>\n");
        if (svg is not null)
        {
            html.Append(svg).Append('\n');
        }
        else
        {
            html.Append("<p class=\"empty\">Chart not drawn (nothing to plot, or no chart renderer on this platform); the data follows.</p>\n");
        }

        html.Append(CultureInfo.InvariantCulture, $"<figcaption>{Encode(title)}: the data is in the table below.</figcaption>\n</figure>\n");
        Table(html, data);
        html.Append("</section>\n");
    }

    private static void Section(StringBuilder html, string id, string title, ReportTable table)
    {
        html.Append(CultureInfo.InvariantCulture, $"<section id=\"{id}\" aria-labelledby=\"{id}-h\">\n<h2 id=\"{id}-h\">{Encode(title)}</h2>\n");
        Table(html, table);
        html.Append("</section>\n");
    }

    private static void Table(StringBuilder html, ReportTable table)
    {
        html.Append(CultureInfo.InvariantCulture, $"<div class=\"table-wrap\"><table data-table=\"{table.Id}\">\n<caption>{Encode(table.Title)}</caption>\n<thead><tr>");
        for (var i = 0; i < table.Columns.Count; i++)
        {
            html.Append(table.NumericColumns[i] ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">").Append(Encode(table.Columns[i])).Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Rows)
        {
            html.Append("<tr>");
            for (var i = 0; i < row.Count; i++)
            {
                var tag = i == 0 ? "th scope=\"row\"" : "td";
                var close = i == 0 ? "th" : "td";
                html.Append('<').Append(tag).Append(table.NumericColumns[i] ? " class=\"num\">" : ">").Append(Encode(row[i])).Append("</").Append(close).Append('>');
            }

            html.Append("</tr>\n");
        }

        html.Append("</tbody>\n</table></div>\n");
    }

    private static string Encode(string value) => WebUtility.HtmlEncode(value);

    private const string Css = """
        :root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --band: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: #fff; }
        main#spend-report { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
        h1 { font-size: 1.7rem; margin: 0 0 4px; }
        h2 { font-size: 1.2rem; margin: 0 0 10px; }
        .range { font-size: 1.05rem; margin: 0; }
        .meta, .note, figcaption { color: var(--muted); font-size: 0.85rem; }
        section { margin: 28px 0; }
        .kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 10px; margin: 0; }
        .kpi { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
        .kpi dt { color: var(--muted); font-size: 0.85rem; }
        .kpi dd { margin: 2px 0 0; font-size: 1.3rem; font-variant-numeric: tabular-nums; }
        .kpi dd.note { font-size: 0.8rem; }
        figure { margin: 0 0 8px; }
        svg.chart { display: block; width: 100%; max-width: 760px; height: auto; }
        .table-wrap { overflow-x: auto; }
        table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; min-width: 50%; }
        caption { text-align: left; font-weight: 600; padding: 4px 0; }
        th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
        thead th { background: var(--band); }
        .num { text-align: right; white-space: nowrap; }
        .empty { color: var(--muted); font-style: italic; }
        @media print {
          body { font-size: 11pt; }
          main#spend-report { max-width: none; padding: 0; }
          section { break-inside: avoid; page-break-inside: avoid; margin: 14pt 0; }
          .table-wrap { overflow: visible; }
          thead { display: table-header-group; }
        }

        """;
}
