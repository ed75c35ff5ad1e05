using System.Globalization;

namespace TokenAccounting.Reporting;

/// <summary>
/// Renders a <see cref="SpendReport"/> as one CSV table in long form, for spreadsheets and scripts: one row per group
/// of every breakdown, raw numbers (no separators, exact decimals, invariant culture), RFC 4180 quoting.
/// </summary>
/// <remarks>
/// Columns: <c>section</c> (<c>total</c>, <c>previous_total</c>, <c>day</c>, <c>day_model</c>, <c>model</c>,
/// <c>provider</c>, <c>operation</c>, <c>user</c>, <c>tenant</c>, <c>api_key</c>, <c>custom</c>; <c>others</c> rows
/// carry the sum of the groups past the top N with empty keys), the seven dimension columns (empty when not grouped or
/// unknown), then <c>requests</c>, the token counts, <c>cost_usd</c> and <c>unpriced_requests</c>.
/// </remarks>
public static class SpendReportCsv
{
    private const string Header = "section,others,date,model,provider,operation,user,tenant,api_key,requests,input_tokens,cached_input_tokens,cache_write_input_tokens,output_tokens,reasoning_tokens,total_tokens,cost_usd,unpriced_requests";

    /// <summary>Writes the report.</summary>
    /// <param name="report">The report.</param>
    /// <param name="writer">Where to write.</param>
    public static void Write(SpendReport report, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Header);
        writer.Write("\r\n");
        Total(writer, "total", report.Totals);
        if (report.Change is { } change)
        {
            Total(writer, "previous_total", change.Previous);
        }

        foreach (var row in report.ByDay)
        {
            Row(writer, "day", false, row);
        }

        foreach (var row in report.ByDayAndModel)
        {
            Row(writer, "day_model", false, row);
        }

        Breakdown(writer, "model", report.ByModel);
        Breakdown(writer, "provider", report.ByProvider);
        Breakdown(writer, "operation", report.ByOperation);
        Breakdown(writer, "user", report.ByUser);
        Breakdown(writer, "tenant", report.ByTenant);
        Breakdown(writer, "api_key", report.ByApiKey);
        if (report.Custom is { } custom)
        {
            Breakdown(writer, "custom", custom);
        }
    }

    /// <summary>Renders the report to a string.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The CSV text.</returns>
    public static string Render(SpendReport report)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(report, writer);
        return writer.ToString();
    }

    private static void Breakdown(TextWriter writer, string section, SpendBreakdown breakdown)
    {
        foreach (var row in breakdown.Rows)
        {
            Row(writer, section, false, row);
        }

        if (breakdown.Others is { } others)
        {
            Row(writer, section, true, others);
        }
    }

    private static void Total(TextWriter writer, string section, SpendSummary summary) =>
        Row(writer, section, false, new UsageQueryRow
        {
            Tokens = summary.Tokens,
            RequestCount = summary.RequestCount,
            Cost = summary.Cost,
            UnpricedRequestCount = summary.UnpricedRequestCount,
        });

    private static void Row(TextWriter writer, string section, bool others, UsageQueryRow row)
    {
        string[] cells =
        [
            section,
            others ? "true" : string.Empty,
            row.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? string.Empty,
            row.Model ?? string.Empty,
            row.Provider ?? string.Empty,
            row.Operation?.Value ?? string.Empty,
            row.UserId ?? string.Empty,
            row.TenantId ?? string.Empty,
            row.ApiKeyId ?? string.Empty,
            Number(row.RequestCount),
            Number(row.Tokens.Input),
            Number(row.Tokens.CachedInput),
            Number(row.Tokens.CacheWriteInput),
            Number(row.Tokens.Output),
            Number(row.Tokens.Reasoning),
            Number(row.Tokens.Total),
            ReportFormat.Raw(row.Cost?.Total ?? 0m),
            Number(row.UnpricedRequestCount),
        ];
        writer.Write(string.Join(',', cells.Select(Quote)));
        writer.Write("\r\n");
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Quote(string cell)
    {
        // Quote what RFC 4180 requires, and a leading formula character so a spreadsheet never evaluates a user id.
        var formula = cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' && !decimal.TryParse(cell, NumberStyles.Number, CultureInfo.InvariantCulture, out _);
        if (formula)
        {
            cell = "'" + cell;
        }

        return cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 || formula ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
    }
}
