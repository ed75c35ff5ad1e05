using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite;

/// <content>Reading detail records back.</content>
public sealed partial class SqliteUsageLedger
{
    /// <summary>
    /// Reads the stored detail records whose <see cref="UsageRecord.CompletedAt"/> is in <c>[from, to)</c>, oldest
    /// first (ties in id order), with every field as written; fields a row of an earlier schema version did not have
    /// read as none (zero audio tokens, zero audio, request and tool-call costs, no server tool calls).
    /// </summary>
    /// <param name="from">The inclusive start of the range.</param>
    /// <param name="to">The exclusive end of the range; must be later than <paramref name="from"/>.</param>
    /// <param name="cancellationToken">Cancels the read between rows.</param>
    /// <returns>The records, streamed from one query on its own connection (beside the writer).</returns>
    /// <remarks>
    /// Details are subject to <see cref="SqliteLedgerOptions.DetailRetention"/> and to details dropped under pressure;
    /// <see cref="QueryTotalsAsync"/> over a day-aligned range answers from the exact rollups instead. Each row is
    /// checked against the rules <see cref="IUsageRecorder.Record"/> applies (<see cref="UsageRecord.Validate"/>): a
    /// row that breaks one (it was not written by TokenAccounting) ends the read with an
    /// <see cref="InvalidDataException"/> naming its id and the rule. Operations read back in lower case, as stored;
    /// times in UTC.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="to"/> is not later than <paramref name="from"/>.</exception>
    public IAsyncEnumerable<UsageRecord> ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        LedgerDetailRows.ThrowIfEmptyRange(from, to);
        return ReadCoreAsync(from, to, cancellationToken);
    }

    private async IAsyncEnumerable<UsageRecord> ReadCoreAsync(DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        PrepareRead(command, from, to);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return LedgerDetailRows.Read(reader, SqliteQueryDialect.Exact);
        }
    }

    /// <summary>Sets the command's text and parameters for a read (also the seam of the tests that snapshot the SQL).</summary>
    internal static void PrepareRead(SqliteCommand command, DateTimeOffset from, DateTimeOffset to) =>
        LedgerQuerySql.PrepareRead(command, from, to, SqliteQueryDialect.Exact);
}
