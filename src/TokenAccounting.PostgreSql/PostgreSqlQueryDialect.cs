using System.Data.Common;
using System.Globalization;
using Npgsql;

namespace TokenAccounting.PostgreSql;

/// <summary>
/// PostgreSQL's side of the shared query builder (<see cref="LedgerQuerySql"/>): positional parameters bound with their
/// own types, the UTC day of a <c>timestamptz</c>, sums brought back into <c>bigint</c> and <see cref="decimal"/> by
/// saturating them, and a top-N cut by the server with ties in <c>"C"</c> collation (ordinal).
/// </summary>
internal sealed class PostgreSqlQueryDialect : LedgerSqlDialect
{
    private PostgreSqlQueryDialect()
    {
    }

    /// <summary>Gets the dialect.</summary>
    public static PostgreSqlQueryDialect Instance { get; } = new();

    /// <inheritdoc />
    public override string DetailDate => "(completed_at AT TIME ZONE 'UTC')::date";

    /// <inheritdoc />
    public override int CostFields => LedgerQueryRows.CostColumns.Length;

    /// <inheritdoc />
    public override bool OrdersTop => true;

    /// <inheritdoc />
    /// <remarks>Positional (<c>$1</c>, <c>$2</c>, …): the name is not used.</remarks>
    public override string Bind<T>(DbCommand command, string name, T value)
    {
        command.Parameters.Add(new NpgsqlParameter<T> { TypedValue = value });
        return "$" + command.Parameters.Count.ToString(CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override string DateText(string column) => column + "::text";

    /// <inheritdoc />
    public override string Ordinal(string expression) => expression + " COLLATE \"C\"";

    /// <inheritdoc />
    /// <remarks>SUM(bigint) is numeric and may exceed a bigint: it saturates.</remarks>
    public override string CountSum(string column) => Cap($"SUM({column})", LedgerArithmetic.MaxCountSql) + "::bigint";

    /// <inheritdoc />
    public override string Count(string aggregate) => Cap(aggregate, LedgerArithmetic.MaxCountSql) + "::bigint";

    /// <inheritdoc />
    public override string CountWhere(string condition) => $"COUNT(*) FILTER (WHERE {condition})";

    /// <inheritdoc />
    /// <remarks>SUM(numeric) may exceed a decimal: each saturates.</remarks>
    public override string CostSums(IReadOnlyList<string> columns) => string.Join(", ", columns.Select(c => Cap($"SUM({c})", LedgerArithmetic.MaxMoneySql)));

    /// <inheritdoc />
    public override string NegativeMoney(string column) => column + " < 0";

    /// <inheritdoc />
    public override DateOnly ReadDate(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateOnly>(ordinal);

    /// <inheritdoc />
    public override DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <inheritdoc />
    public override decimal ReadMoney(DbDataReader reader, int ordinal) => reader.GetDecimal(ordinal);

    /// <inheritdoc />
    public override void ReadCostSums(DbDataReader reader, int ordinal, Span<decimal> parts)
    {
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = reader.IsDBNull(ordinal + i) ? 0m : reader.GetDecimal(ordinal + i);
        }
    }

    // Not LEAST: it ignores NULL, and a sum over no rows must stay NULL.
    private static string Cap(string sum, string max) => $"CASE WHEN {sum} > {max} THEN {max} ELSE {sum} END";
}
