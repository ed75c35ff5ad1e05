using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite;

/// <content>Usage queries.</content>
public sealed partial class SqliteUsageLedger
{
    /// <inheritdoc />
    /// <remarks>
    /// Day-aligned ranges are answered from the rollups (exact, kept forever), others from the details (subject to
    /// retention and to details dropped under pressure). Runs on its own connection, beside the writer.
    /// <para>
    /// Each query first runs in a fast form: plain <c>SUM</c>s, and per row one cheap test of the rules (every count
    /// and difference of a part from its container not negative, keys within the limits, no negative cost). Only when
    /// that form cannot answer exactly — a sum overflows (SQLite fails it), a saturated rollup row, or a row that may
    /// break the rules — does the query run again in its exact form: saturating sums and the per-row check that names
    /// the offending row.
    /// </para>
    /// </remarks>
    public async ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var fromRollups = query.IsDayAligned;
        using var connection = OpenConnection();
        var rows = Run(connection, query, fromRollups, fast: true, cancellationToken)
            ?? Run(connection, query, fromRollups, fast: false, cancellationToken)!;
        return UsageQueryResult.Create(query, rows, fromRollups ? UsageQuerySource.Rollups : UsageQuerySource.Details);
    }

    /// <summary>Runs the query; in its fast form, null when that form cannot answer exactly.</summary>
    private static List<UsageQueryRow>? Run(SqliteConnection connection, UsageQuery query, bool fromRollups, bool fast, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        PrepareQuery(command, query, fromRollups, fast);

        var rows = new List<UsageQueryRow>();
        var dialect = SqliteQueryDialect.For(fast);
        var check = LedgerQueryRows.RuleCheckOrdinal(query, dialect);
        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (fast && (!reader.IsDBNull(check) || (!reader.IsDBNull(check - 1) && reader.GetString(check - 1).EndsWith(SqliteQueryDialect.NegativeMark, StringComparison.Ordinal))))
                {
                    return null;
                }

                rows.Add(LedgerQueryRows.Read(reader, query, fromRollups, dialect));
            }
        }
        catch (SqliteException ex) when (fast && ex.SqliteErrorCode == 1 && ex.Message.Contains("integer overflow", StringComparison.Ordinal))
        {
            return null;
        }

        return rows;
    }

    private async ValueTask EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _commands) is not null)
        {
            return;
        }

        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            EnsureWriter();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Sets the command's text and parameters for the query in its fast or exact form (also the seam of the tests that snapshot the SQL).</summary>
    internal static void PrepareQuery(SqliteCommand command, UsageQuery query, bool fromRollups, bool fast) =>
        LedgerQuerySql.PrepareTotals(command, query, fromRollups, SqliteQueryDialect.For(fast));
}
