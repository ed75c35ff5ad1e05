using System.Data.Common;

namespace TokenAccounting.Sqlite;

/// <summary>
/// SQLite's side of the shared query builder (<see cref="LedgerQuerySql"/>): named parameters bound as text (times,
/// dates and decimals are stored as text, see <see cref="SqliteText"/>), the day as the first ten characters of the
/// stored time, every cost part summed exactly by one <c>ta_decimal_sums</c> call, and two forms of each query.
/// </summary>
/// <remarks>
/// The fast form sums with plain <c>SUM</c>s (SQLite fails the query on an overflow) and checks the rules with one
/// cheap expression per row; the exact form sums saturating and names the offending row. The ledger runs the fast form
/// first and the exact one only when the fast one cannot answer exactly (see <see cref="SqliteUsageLedger.QueryTotalsAsync"/>).
/// The cost sums are one text, which SQL cannot order by: a top-N is ordered and cut by
/// <see cref="UsageQueryResult.Create"/>. Both forms read rows back alike (detail reads use <see cref="Exact"/>).
/// </remarks>
internal sealed class SqliteQueryDialect : LedgerSqlDialect
{
    /// <summary>What <c>ta_decimal_sums</c> appends when it summed a negative part.</summary>
    public const string NegativeMark = " -";

    private readonly bool _fast;

    private SqliteQueryDialect(bool fast) => _fast = fast;

    /// <summary>Gets the fast form: plain sums and a cheap per-row test of the rules.</summary>
    public static SqliteQueryDialect Fast { get; } = new(fast: true);

    /// <summary>Gets the exact form: saturating sums and the check that names the offending row.</summary>
    public static SqliteQueryDialect Exact { get; } = new(fast: false);

    /// <summary>The fast or the exact form.</summary>
    public static SqliteQueryDialect For(bool fast) => fast ? Fast : Exact;

    /// <inheritdoc />
    public override string DetailDate => "substr(completed_at, 1, 10)";

    /// <inheritdoc />
    public override int CostFields => 1;

    /// <inheritdoc />
    public override bool OrdersTop => false;

    /// <inheritdoc />
    public override string Bind<T>(DbCommand command, string name, T value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "$" + name;
        parameter.Value = value switch
        {
            DateOnly date => SqliteText.Date(date),
            DateTimeOffset time => SqliteText.Timestamp(time),
            string text => text,
            _ => throw new ArgumentException($"A query parameter is a date, a time or a text, not a {typeof(T).Name}.", nameof(value)),
        };
        command.Parameters.Add(parameter);
        return parameter.ParameterName;
    }

    /// <inheritdoc />
    public override string DateText(string column) => column;

    /// <inheritdoc />
    /// <remarks>Text compares with SQLite's default BINARY collation, which is ordinal.</remarks>
    public override string Ordinal(string expression) => expression;

    /// <inheritdoc />
    public override string CountSum(string column) => _fast ? $"SUM({column})" : SaturatingSum(column);

    /// <inheritdoc />
    public override string Count(string aggregate) => aggregate;

    /// <inheritdoc />
    public override string CountWhere(string condition) => $"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)";

    /// <inheritdoc />
    /// <remarks>Every cost part in one aggregate call per row (see <see cref="SqliteText.RegisterFunctions"/>).</remarks>
    public override string CostSums(IReadOnlyList<string> columns) => $"ta_decimal_sums({string.Join(", ", columns)})";

    /// <inheritdoc />
    /// <remarks>Costs are stored as text; the test is on their numeric value.</remarks>
    public override string NegativeMoney(string column) => $"CAST({column} AS REAL) < 0";

    /// <inheritdoc />
    /// <remarks>The fast form's check is <see cref="FastCheck"/>.</remarks>
    public override string RuleCheck(bool fromRollups) => _fast ? FastCheck(fromRollups) : base.RuleCheck(fromRollups);

    /// <inheritdoc />
    public override DateOnly ReadDate(DbDataReader reader, int ordinal) => SqliteText.ParseDate(reader.GetString(ordinal));

    /// <inheritdoc />
    public override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) => SqliteText.ParseTimestamp(reader.GetString(ordinal));

    /// <inheritdoc />
    public override decimal ReadMoney(DbDataReader reader, int ordinal) => SqliteText.ParseDecimal(reader.GetString(ordinal));

    /// <inheritdoc />
    public override void ReadCostSums(DbDataReader reader, int ordinal, Span<decimal> parts)
    {
        if (!reader.IsDBNull(ordinal))
        {
            SqliteText.ParseSums(reader.GetString(ordinal), parts);
        }
    }

    /// <summary>
    /// SQLite's SUM() of integers fails the whole query with "integer overflow". Summing the high and the low 32 bits
    /// apart cannot overflow (below 2^31 rows); the carry of the low sum moves into the high one, and a high part of
    /// 2^31 or more is a sum of 2^63 or more, which saturates at long.MaxValue. Exact below that; NULL over no rows.
    /// </summary>
    internal static string SaturatingSum(string column)
    {
        var low = $"SUM({column} & 4294967295)";
        var high = $"(SUM({column} >> 32) + ({low} >> 32))";
        return $"CASE WHEN {high} >= 2147483648 THEN {LedgerArithmetic.MaxCountSql} WHEN {high} < -2147483648 THEN -{LedgerArithmetic.MaxCountSql} - 1 "
            + $"ELSE {high} * 4294967296 + ({low} & 4294967295) END";
    }

    /// <summary>
    /// The fast form's test of the rules, one expression per row: the smallest of every count and of every part's room in
    /// its container (cached and cache-write input in input, long-TTL in cache-write, reasoning and audio output in
    /// output, cached audio in audio input and in cached input, uncached audio in uncached input; requests and unpriced;
    /// a detail's room for its total), and the largest excess of a key's length over its limit. Valid rows of exact sums
    /// give no negative and no excess; anything else (a saturated rollup row included) sends the query to its exact
    /// form. Not NULL when that is needed.
    /// </summary>
    private static string FastCheck(bool fromRollups)
    {
        List<string> room =
        [
            .. LedgerQueryRows.TokenColumns,
            "input_tokens - cached_input_tokens - cache_write_input_tokens",
            "cache_write_input_tokens - cache_write_long_ttl_input_tokens",
            "output_tokens - reasoning_tokens - output_audio_tokens",
            "input_audio_tokens - cached_input_audio_tokens",
            "cached_input_tokens - cached_input_audio_tokens",
            "(input_tokens - cached_input_tokens - cache_write_input_tokens) - (input_audio_tokens - cached_input_audio_tokens)",
        ];
        room.AddRange(fromRollups
            ? ["request_count", "unpriced_request_count", "request_count - unpriced_request_count"]
            : [$"{LedgerArithmetic.MaxCountSql} - input_tokens - output_tokens"]);
        // A detail's missing key is NULL, and max() over a NULL is NULL; rollup keys are never NULL.
        string Length(string column) => fromRollups ? $"length({column})" : $"length(COALESCE({column}, ''))";
        var excess =
            $"length(model) - {UsageRecordLimits.MaxModelLength}, {Length("provider")} - {UsageRecordLimits.MaxProviderLength}, "
            + $"length(operation) - {UsageRecordLimits.MaxOperationLength}, {Length("user_id")} - {UsageRecordLimits.MaxIdLength}, "
            + $"{Length("tenant_id")} - {UsageRecordLimits.MaxIdLength}, {Length("api_key_id")} - {UsageRecordLimits.MaxIdLength}";
        return $"CASE WHEN MIN(min({string.Join(", ", room)})) < 0 OR MAX(max({excess})) > 0 THEN 1 END";
    }
}
