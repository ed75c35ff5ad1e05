using System.Data.Common;

namespace TokenAccounting;

/// <summary>
/// What differs between the SQL ledgers' engines in the statements <see cref="LedgerQuerySql"/> builds and in reading
/// their answers back: how a parameter is written and bound, the UTC day of a detail's time, how counts and costs are
/// summed without overflowing, how a row that breaks the rules is found, and how dates, times and decimals come back
/// from the driver. The filters, keys, groups, order, top-N and the choice of rollups or details are the builder's,
/// one for both.
/// </summary>
internal abstract class LedgerSqlDialect
{
    /// <summary>Gets the UTC day of a detail's <c>completed_at</c>, as the date key of a group.</summary>
    public abstract string DetailDate { get; }

    /// <summary>Gets how many select columns <see cref="CostSums"/> returns (the reader's layout depends on it).</summary>
    public abstract int CostFields { get; }

    /// <summary>
    /// Gets whether the engine orders and cuts a top-N itself (<c>ORDER BY … LIMIT</c>). Where it does not, the ledger
    /// reads every group and <see cref="UsageQueryResult.Create"/> orders and cuts them (it orders every answer alike).
    /// </summary>
    public abstract bool OrdersTop { get; }

    /// <summary>Adds <paramref name="value"/> as the command's next parameter and returns its placeholder.</summary>
    /// <param name="command">The command.</param>
    /// <param name="name">The parameter's name, for engines that name them.</param>
    /// <param name="value">A <see cref="DateOnly"/>, a UTC <see cref="DateTimeOffset"/> or a <see cref="string"/>.</param>
    public abstract string Bind<T>(DbCommand command, string name, T value);

    /// <summary>A rollup's <c>date</c> column as text (it starts the key that names a rollup row).</summary>
    public abstract string DateText(string column);

    /// <summary><paramref name="expression"/> as an ordinal sort key (ties of a top-N, the read's order).</summary>
    public abstract string Ordinal(string expression);

    /// <summary>The sum of a count column, never wrapped: saturated at <see cref="long.MaxValue"/> (or, in a fast form, failing the query).</summary>
    public abstract string CountSum(string column);

    /// <summary>A count aggregate (<c>COUNT(*)</c> and the like), as a 64-bit integer.</summary>
    public abstract string Count(string aggregate);

    /// <summary>An aggregate that counts the rows of a group where <paramref name="condition"/> holds.</summary>
    public abstract string CountWhere(string condition);

    /// <summary>The sums of the cost columns, saturated at <see cref="decimal.MaxValue"/>, as <see cref="CostFields"/> select columns.</summary>
    public abstract string CostSums(IReadOnlyList<string> columns);

    /// <summary>A condition that a stored cost (a column's value) is negative.</summary>
    public abstract string NegativeMoney(string column);

    /// <summary>
    /// The last select column, the rule check. By default the first stored row of the group that breaks the rules: its
    /// id (details) or its key (rollups); NULL when every row keeps them.
    /// </summary>
    public virtual string RuleCheck(bool fromRollups)
    {
        var label = fromRollups
            ? $"{DateText("date")} || '|' || model || '|' || provider || '|' || operation || '|' || user_id || '|' || tenant_id || '|' || api_key_id"
            : "id";
        return $"MIN(CASE WHEN {LedgerQuerySql.BadRowCondition(fromRollups, this)} THEN {label} END)";
    }

    /// <summary>Reads a date key.</summary>
    public abstract DateOnly ReadDate(DbDataReader reader, int ordinal);

    /// <summary>Reads a stored time, in UTC.</summary>
    public abstract DateTimeOffset ReadTimestamp(DbDataReader reader, int ordinal);

    /// <summary>Reads a stored cost.</summary>
    public abstract decimal ReadMoney(DbDataReader reader, int ordinal);

    /// <summary>Reads what <see cref="CostSums"/> returned into <paramref name="parts"/> (<see cref="LedgerQueryRows.CostColumns"/> order); a NULL part is zero.</summary>
    public abstract void ReadCostSums(DbDataReader reader, int ordinal, Span<decimal> parts);
}
