using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

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
    /// (SQLite's own arithmetic would turn them into doubles). NULL plus x is x. A sum that does not fit in a
    /// <see cref="decimal"/> saturates at <see cref="decimal.MaxValue"/>, like every sum of the library.
    /// </summary>
    /// <remarks>
    /// <c>ta_decimal_add</c> runs for every cost column of every rollup upsert, so it is registered on SQLitePCL
    /// directly and reads and writes UTF-8 without strings; Microsoft.Data.Sqlite's function wrapper allocates several
    /// objects per call and costs more than the addition.
    /// </remarks>
    public static void RegisterFunctions(SqliteConnection connection)
    {
        var rc = raw.sqlite3_create_function(connection.Handle, "ta_decimal_add", 2, raw.SQLITE_UTF8 | raw.SQLITE_DETERMINISTIC, null, DecimalAdd);
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"SQLite Error {rc}: could not register ta_decimal_add.", rc);
        }

        connection.CreateAggregate<string?, decimal?, string?>(
            "ta_decimal_sum",
            null,
            static (sum, value) => value is null ? sum : SaturatingArithmetic.Add(sum ?? 0m, ParseDecimal(value)),
            static sum => sum is { } total ? Decimal(total) : null,
            isDeterministic: true);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "A native callback: any exception becomes the SQL error instead of unwinding through SQLite.")]
    private static void DecimalAdd(sqlite3_context context, object userData, sqlite3_value[] arguments)
    {
        try
        {
            var left = arguments[0];
            var right = arguments[1];
            if (raw.sqlite3_value_type(left) == raw.SQLITE_NULL)
            {
                ResultCopy(context, right);
            }
            else if (raw.sqlite3_value_type(right) == raw.SQLITE_NULL)
            {
                ResultCopy(context, left);
            }
            else
            {
                var sum = SaturatingArithmetic.Add(ParseUtf8(TextOf(left)), ParseUtf8(TextOf(right)));
                Span<byte> text = stackalloc byte[40];
                sum.TryFormat(text, out var written, default, CultureInfo.InvariantCulture);
                raw.sqlite3_result_text(context, text[..written]);
            }
        }
        catch (Exception ex)
        {
            raw.sqlite3_result_error(context, "ta_decimal_add: " + ex.Message);
        }
    }

    // A non-NULL value as its text, NULL as NULL.
    private static void ResultCopy(sqlite3_context context, sqlite3_value value)
    {
        if (raw.sqlite3_value_type(value) == raw.SQLITE_NULL)
        {
            raw.sqlite3_result_null(context);
        }
        else
        {
            raw.sqlite3_result_text(context, TextOf(value));
        }
    }

    private static ReadOnlySpan<byte> TextOf(sqlite3_value value)
    {
        // value_text first converts a number to its text; value_blob then returns those bytes.
        _ = raw.sqlite3_value_text(value);
        return raw.sqlite3_value_blob(value);
    }

    private static decimal ParseUtf8(ReadOnlySpan<byte> text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);
}
