using System.Globalization;
using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite;

/// <summary>Text encodings of times and decimals, and the exact decimal functions registered on every connection.</summary>
internal static class SqliteText
{
    /// <summary>
    /// Fixed-width UTC ISO 8601 (<c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>), so text order is time order. The round-trip
    /// format of a UTC <see cref="DateTime"/> is exactly that, and has a fast path.
    /// </summary>
    public static string Timestamp(DateTimeOffset value) => value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static string Date(DateOnly value) => value.ToString("yyyy'-'MM'-'dd", CultureInfo.InvariantCulture);

    public static DateOnly ParseDate(string value) => DateOnly.ParseExact(value, "yyyy'-'MM'-'dd", CultureInfo.InvariantCulture);

    public static string Decimal(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static decimal ParseDecimal(string value) => decimal.Parse(value, NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>
    /// Registers <c>ta_decimal_add(a, b)</c> and the aggregate <c>ta_decimal_sum(x)</c>, which add TEXT decimals exactly
    /// (SQLite's own arithmetic would turn them into doubles).
    /// </summary>
    public static void RegisterFunctions(SqliteConnection connection)
    {
        connection.CreateFunction<string?, string?, string?>(
            "ta_decimal_add",
            static (a, b) => a is null ? b : b is null ? a : Decimal(ParseDecimal(a) + ParseDecimal(b)),
            isDeterministic: true);
        connection.CreateAggregate<string?, decimal?, string?>(
            "ta_decimal_sum",
            null,
            static (sum, value) => value is null ? sum : (sum ?? 0m) + ParseDecimal(value),
            static sum => sum is { } total ? Decimal(total) : null,
            isDeterministic: true);
    }
}
