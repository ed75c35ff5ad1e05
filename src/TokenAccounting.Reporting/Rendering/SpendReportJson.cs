using System.Globalization;
using System.Text.Json;

namespace TokenAccounting.Reporting;

/// <summary>
/// Renders a <see cref="SpendReport"/> as one JSON document (snake_case names, money as exact JSON numbers, dates as
/// <c>yyyy-MM-dd</c>, instants as ISO 8601 UTC), for scripts and for a dashboard to fetch.
/// </summary>
public static class SpendReportJson
{
    /// <summary>The <c>schema_version</c> written at the top of the document; raised when a field changes meaning or goes away.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Writes the report as UTF-8 JSON.</summary>
    /// <param name="report">The report.</param>
    /// <param name="utf8Json">Where to write; left open.</param>
    /// <param name="indented">Whether to indent the output.</param>
    public static void Write(SpendReport report, Stream utf8Json, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(utf8Json);
        using var json = new Utf8JsonWriter(utf8Json, new JsonWriterOptions { Indented = indented });
        WriteReport(json, report);
    }

    /// <summary>Renders the report to a string.</summary>
    /// <param name="report">The report.</param>
    /// <param name="indented">Whether to indent the output.</param>
    /// <returns>The JSON text.</returns>
    public static string Render(SpendReport report, bool indented = true)
    {
        using var stream = new MemoryStream();
        Write(report, stream, indented);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteReport(Utf8JsonWriter json, SpendReport report)
    {
        json.WriteStartObject();
        json.WriteNumber("schema_version", SchemaVersion);
        json.WriteString("from", report.From);
        json.WriteString("to", report.To);
        json.WriteString("generated_at", report.GeneratedAt);
        json.WriteString("source", report.Source == UsageQuerySource.Rollups ? "rollups" : "details");
        json.WriteNumber("top", report.Options.Top);
        json.WritePropertyName("totals");
        Summary(json, report.Totals);
        if (report.Change is { } change)
        {
            json.WriteStartObject("previous_period");
            json.WriteString("from", change.From);
            json.WriteString("to", change.To);
            json.WritePropertyName("totals");
            Summary(json, change.Previous);
            json.WriteNumber("cost_delta_usd", change.CostDelta);
            NullableNumber(json, "cost_change", change.CostChange);
            json.WriteNumber("tokens_delta", change.TokensDelta);
            NullableNumber(json, "tokens_change", change.TokensChange);
            json.WriteNumber("requests_delta", change.RequestsDelta);
            json.WriteEndObject();
        }

        Rows(json, "by_day", report.ByDay);
        Rows(json, "by_day_and_model", report.ByDayAndModel);
        Breakdown(json, "by_model", report.ByModel);
        Breakdown(json, "by_provider", report.ByProvider);
        Breakdown(json, "by_operation", report.ByOperation);
        Breakdown(json, "by_user", report.ByUser);
        Breakdown(json, "by_tenant", report.ByTenant);
        Breakdown(json, "by_api_key", report.ByApiKey);
        if (report.Custom is { } custom)
        {
            Breakdown(json, "custom", custom);
        }

        json.WriteStartArray("cache_savings");
        foreach (var s in report.CacheSavings)
        {
            json.WriteStartObject();
            json.WriteString("model", s.Model);
            NullableString(json, "provider", s.Provider);
            json.WriteNumber("cached_input_tokens", s.CachedInputTokens);
            json.WriteNumber("unpriced_cached_input_tokens", s.UnpricedCachedInputTokens);
            json.WriteNumber("at_input_rate_usd", s.UncachedCost);
            json.WriteNumber("at_cached_rate_usd", s.CachedCost);
            json.WriteNumber("saved_usd", s.Saved);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        Rows(json, "unpriced", report.Unpriced);
        json.WriteStartArray("budgets");
        foreach (var b in report.Budgets)
        {
            json.WriteStartObject();
            json.WriteString("policy", b.Policy.Name);
            json.WriteString("dimension", b.Policy.Dimension.ToString().ToLowerInvariant());
            NullableString(json, "subject", b.Subject);
            json.WriteString("unit", b.Policy.Unit == BudgetUnit.Tokens ? "tokens" : "usd");
            json.WriteNumber("limit", b.Policy.Limit);
            json.WriteNumber("used", b.Used);
            json.WriteNumber("remaining", b.Remaining);
            json.WriteString("window_start", b.WindowStart);
            json.WriteString("window_end", b.WindowEnd);
            json.WriteString("state", b.State.ToString().ToLowerInvariant());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Summary(Utf8JsonWriter json, SpendSummary s)
    {
        json.WriteStartObject();
        json.WriteNumber("requests", s.RequestCount);
        Tokens(json, s.Tokens);
        json.WriteNumber("cost_usd", s.TotalCost);
        json.WriteStartObject("cost_parts_usd");
        json.WriteNumber("input", s.Cost.Input);
        json.WriteNumber("cached_input", s.Cost.CachedInput);
        json.WriteNumber("cache_write", s.Cost.CacheWrite);
        json.WriteNumber("cache_write_long_ttl", s.Cost.CacheWriteLongTtl);
        json.WriteNumber("output", s.Cost.Output);
        json.WriteNumber("reasoning", s.Cost.Reasoning);
        json.WriteEndObject();
        json.WriteNumber("unpriced_requests", s.UnpricedRequestCount);
        json.WriteNumber("cache_share", s.CacheShare);
        json.WriteNumber("reasoning_share", s.ReasoningShare);
        json.WriteNumber("cache_savings_usd", s.CacheSavings);
        json.WriteEndObject();
    }

    private static void Tokens(Utf8JsonWriter json, TokenCounts tokens)
    {
        json.WriteNumber("input_tokens", tokens.Input);
        json.WriteNumber("cached_input_tokens", tokens.CachedInput);
        json.WriteNumber("cache_write_input_tokens", tokens.CacheWriteInput);
        json.WriteNumber("output_tokens", tokens.Output);
        json.WriteNumber("reasoning_tokens", tokens.Reasoning);
        json.WriteNumber("total_tokens", tokens.Total);
    }

    private static void Breakdown(Utf8JsonWriter json, string name, SpendBreakdown breakdown)
    {
        json.WriteStartObject(name);
        json.WriteStartArray("dimensions");
        foreach (var dimension in breakdown.Dimensions)
        {
            json.WriteStringValue(dimension.ToString().ToLowerInvariant());
        }

        json.WriteEndArray();
        json.WriteNumber("group_count", breakdown.GroupCount);
        json.WriteStartArray("rows");
        foreach (var row in breakdown.Rows)
        {
            Row(json, row, breakdown.Dimensions);
        }

        json.WriteEndArray();
        if (breakdown.Others is { } others)
        {
            json.WritePropertyName("others");
            Row(json, others);
        }
        else
        {
            json.WriteNull("others");
        }

        json.WriteEndObject();
    }

    private static void Rows(Utf8JsonWriter json, string name, IReadOnlyList<UsageQueryRow> rows)
    {
        json.WriteStartArray(name);
        foreach (var row in rows)
        {
            Row(json, row);
        }

        json.WriteEndArray();
    }

    private static void Row(Utf8JsonWriter json, UsageQueryRow row, IReadOnlyList<UsageDimension>? grouped = null)
    {
        json.WriteStartObject();
        if (row.Date is { } date)
        {
            json.WriteString("date", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }

        // A grouped dimension without a value is written as null (usage with no user, say); an ungrouped one is left out.
        Dimension(json, "model", row.Model, grouped?.Contains(UsageDimension.Model) == true);
        Dimension(json, "provider", row.Provider, grouped?.Contains(UsageDimension.Provider) == true);
        Dimension(json, "operation", row.Operation?.Value, grouped?.Contains(UsageDimension.Operation) == true);
        Dimension(json, "user", row.UserId, grouped?.Contains(UsageDimension.User) == true);
        Dimension(json, "tenant", row.TenantId, grouped?.Contains(UsageDimension.Tenant) == true);
        Dimension(json, "api_key", row.ApiKeyId, grouped?.Contains(UsageDimension.ApiKey) == true);
        json.WriteNumber("requests", row.RequestCount);
        Tokens(json, row.Tokens);
        json.WriteNumber("cost_usd", row.Cost?.Total ?? 0m);
        json.WriteNumber("unpriced_requests", row.UnpricedRequestCount);
        json.WriteEndObject();
    }

    private static void Dimension(Utf8JsonWriter json, string name, string? value, bool grouped)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
        else if (grouped)
        {
            json.WriteNull(name);
        }
    }

    private static void NullableString(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void NullableNumber(Utf8JsonWriter json, string name, decimal? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
