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

    /// <summary>Reads a <see cref="Timestamp"/> back (any ISO 8601 round-trip text), in UTC.</summary>
    public static DateTimeOffset ParseTimestamp(string value) =>
        DateTimeOffset.ParseExact(value, "O", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();

    public static string Date(DateOnly value) => value.ToString("yyyy'-'MM'-'dd", CultureInfo.InvariantCulture);

    public static DateOnly ParseDate(string value) => DateOnly.ParseExact(value, "yyyy'-'MM'-'dd", CultureInfo.InvariantCulture);

    public static string Decimal(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static decimal ParseDecimal(string value) => decimal.Parse(value, NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>
    /// Registers <c>ta_decimal_add(a, b)</c>, the aggregate <c>ta_decimal_sum(x)</c> and the aggregate
    /// <c>ta_decimal_sums(x1, …, xn)</c>, which add TEXT decimals exactly (SQLite's own arithmetic would turn them into
    /// doubles). NULL plus x is x. A sum that does not fit in a <see cref="decimal"/> saturates at
    /// <see cref="decimal.MaxValue"/>, like every sum of the library. <c>ta_decimal_sums</c> sums each argument apart and
    /// returns the n sums as one text, separated by spaces (<see cref="ParseSums"/> reads it), followed by <c>" -"</c>
    /// when a part was negative (a row that breaks the rules); NULL over no rows.
    /// </summary>
    /// <remarks>
    /// All three run per row (every cost column of every rollup upsert; every row a totals query sums), so they are
    /// registered on SQLitePCL directly and read and write UTF-8 without strings: Microsoft.Data.Sqlite's function and
    /// aggregate wrappers allocate several objects and a string per value and cost more than the addition. A totals query
    /// sums all its cost columns with one <c>ta_decimal_sums</c> call per row instead of one aggregate call per column.
    /// </remarks>
    public static void RegisterFunctions(SqliteConnection connection)
    {
        Register(raw.sqlite3_create_function(connection.Handle, "ta_decimal_add", 2, raw.SQLITE_UTF8 | raw.SQLITE_DETERMINISTIC, null, DecimalAdd), "ta_decimal_add");
        Register(raw.sqlite3_create_function(connection.Handle, "ta_decimal_sum", 1, raw.SQLITE_UTF8 | raw.SQLITE_DETERMINISTIC, null, DecimalSumStep, DecimalSumFinal), "ta_decimal_sum");
        Register(raw.sqlite3_create_function(connection.Handle, "ta_decimal_sums", -1, raw.SQLITE_UTF8 | raw.SQLITE_DETERMINISTIC, null, DecimalSumStep, DecimalSumFinal), "ta_decimal_sums");

        static void Register(int rc, string name)
        {
            if (rc != raw.SQLITE_OK)
            {
                throw new SqliteException($"SQLite Error {rc}: could not register {name}.", rc);
            }
        }
    }

    /// <summary>Reads what <c>ta_decimal_sums</c> returned into <paramref name="sums"/> (as many parts as there are sums).</summary>
    /// <exception cref="FormatException">The text does not hold that many decimals.</exception>
    public static void ParseSums(string text, Span<decimal> sums)
    {
        var rest = text.AsSpan();
        for (var i = 0; i < sums.Length; i++)
        {
            var end = rest.IndexOf(' ');
            var part = end < 0 ? rest : rest[..end];
            sums[i] = decimal.Parse(part, NumberStyles.Number, CultureInfo.InvariantCulture);
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (end < 0 && i < sums.Length - 1)
            {
                throw new FormatException($"The ledger's summed costs '{text}' hold {i + 1} parts, not {sums.Length}.");
            }
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "A native callback: any exception becomes the SQL error instead of unwinding through SQLite.")]
    private static void DecimalSumStep(sqlite3_context context, object userData, sqlite3_value[] arguments)
    {
        try
        {
            var state = context.state as SumState;
            if (state is null)
            {
                state = new SumState(arguments.Length);
                context.state = state;
            }

            var sums = state.Sums;

            for (var i = 0; i < arguments.Length; i++)
            {
                var value = arguments[i];
                if (raw.sqlite3_value_type(value) == raw.SQLITE_NULL)
                {
                    continue;
                }

                var text = TextOf(value);

                // Most stored parts are zero (no audio, no fees, no tool calls): nothing to parse or add.
                if (text.Length == 1 && text[0] == (byte)'0')
                {
                    continue;
                }

                var part = ParseUtf8(text);
                if (part < 0)
                {
                    // A stored row that breaks the rules: summed as it is, and said (the query then finds the row).
                    state.Negative = true;
                    sums[i] += part;
                    continue;
                }

                sums[i] = SaturatingArithmetic.Add(sums[i], part);
            }
        }
        catch (Exception ex)
        {
            raw.sqlite3_result_error(context, "ta_decimal_sum: " + ex.Message);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031", Justification = "A native callback: any exception becomes the SQL error instead of unwinding through SQLite.")]
    private static void DecimalSumFinal(sqlite3_context context, object userData)
    {
        try
        {
            if (context.state is not SumState state)
            {
                raw.sqlite3_result_null(context);
                return;
            }

            var sums = state.Sums;

            Span<byte> text = stackalloc byte[(41 * 16) + 2];
            var length = 0;
            for (var i = 0; i < sums.Length; i++)
            {
                if (i > 0)
                {
                    text[length++] = (byte)' ';
                }

                if (length + 40 > text.Length)
                {
                    throw new InvalidOperationException("ta_decimal_sums takes at most 16 arguments.");
                }

                sums[i].TryFormat(text[length..], out var written, default, CultureInfo.InvariantCulture);
                length += written;
            }

            if (state.Negative)
            {
                text[length++] = (byte)' ';
                text[length++] = (byte)'-';
            }

            raw.sqlite3_result_text(context, text[..length]);
        }
        catch (Exception ex)
        {
            raw.sqlite3_result_error(context, "ta_decimal_sum: " + ex.Message);
        }
    }

    /// <summary>The running sums of one group, and whether a negative part was seen (the text then ends in <c>" -"</c>).</summary>
    private sealed class SumState(int parts)
    {
        public decimal[] Sums { get; } = new decimal[parts];

        public bool Negative { get; set; }
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
