using System.Globalization;

namespace TokenAccounting.Reporting;

/// <summary>How every renderer formats values: invariant culture, exact money, no rounding of costs.</summary>
internal static class ReportFormat
{
    public const string None = "(none)";

    public static string Tokens(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The exact decimal, without trailing zeros (a cost is never rounded for display).</summary>
    public static string Money(decimal value) => value.ToString("0.############################", CultureInfo.InvariantCulture);

    public static string Raw(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Share(decimal fraction) => (fraction * 100m).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    public static string Change(decimal? fraction) => fraction is { } f ? (f >= 0 ? "+" : string.Empty) + Share(f) : "n/a";

    public static string SignedMoney(decimal value) => (value > 0 ? "+" : string.Empty) + Money(value);

    public static string Date(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? None;

    public static string Instant(DateTimeOffset value) =>
        value.TimeOfDay == TimeSpan.Zero
            ? value.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The range as a person reads it: <c>[from, to)</c> with a day-aligned end shown as the last day included.</summary>
    public static string Range(DateTimeOffset from, DateTimeOffset to) =>
        from.TimeOfDay == TimeSpan.Zero && to.TimeOfDay == TimeSpan.Zero
            ? $"{Instant(from)} to {Instant(to.AddDays(-1))} (UTC days, inclusive)"
            : $"{Instant(from)} to {Instant(to)} (UTC, end exclusive)";

    public static string DimensionName(UsageDimension dimension) => dimension switch
    {
        UsageDimension.Date => "date",
        UsageDimension.Model => "model",
        UsageDimension.Provider => "provider",
        UsageDimension.Operation => "operation",
        UsageDimension.User => "user",
        UsageDimension.Tenant => "tenant",
        _ => "api key",
    };

    public static string? Value(UsageQueryRow row, UsageDimension dimension) => dimension switch
    {
        UsageDimension.Date => row.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        UsageDimension.Model => row.Model,
        UsageDimension.Provider => row.Provider,
        UsageDimension.Operation => row.Operation?.Value,
        UsageDimension.User => row.UserId,
        UsageDimension.Tenant => row.TenantId,
        _ => row.ApiKeyId,
    };

    public static string Label(UsageQueryRow row, IReadOnlyList<UsageDimension> dimensions) =>
        string.Join(" / ", dimensions.Select(d => Value(row, d) ?? None));
}
