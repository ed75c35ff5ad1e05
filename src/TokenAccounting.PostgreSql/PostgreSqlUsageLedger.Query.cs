using Npgsql;

namespace TokenAccounting.PostgreSql;

/// <content>Usage queries.</content>
public sealed partial class PostgreSqlUsageLedger
{
    /// <inheritdoc />
    /// <remarks>
    /// Day-aligned ranges are answered from the rollups (exact, kept forever), others from the details (subject to
    /// retention and to details dropped under pressure). A top-N is cut by the server (ties broken by the grouped
    /// dimensions in <c>"C"</c> collation, which is ordinal).
    /// </remarks>
    public async ValueTask<UsageQueryResult> QueryTotalsAsync(UsageQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _schema.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var fromRollups = query.IsDayAligned;
        var command = _dataSource.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            PrepareQuery(command, query, fromRollups);
            var rows = new List<UsageQueryRow>();
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add(LedgerQueryRows.Read(reader, query, fromRollups, PostgreSqlQueryDialect.Instance));
                }
            }

            return UsageQueryResult.Create(query, rows, fromRollups ? UsageQuerySource.Rollups : UsageQuerySource.Details);
        }
    }

    /// <summary>Sets the command's text and parameters for the query (also the seam of the tests that snapshot the SQL).</summary>
    internal static void PrepareQuery(NpgsqlCommand command, UsageQuery query, bool fromRollups) =>
        LedgerQuerySql.PrepareTotals(command, query, fromRollups, PostgreSqlQueryDialect.Instance);
}
