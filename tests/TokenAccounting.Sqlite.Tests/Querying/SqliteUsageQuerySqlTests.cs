using System.Text;
using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite.Tests.Querying;

/// <summary>The SQL the ledger generates for representative queries and reads, snapshotted so a change to it is reviewed.</summary>
public sealed class SqliteUsageQuerySqlTests
{
    [Fact]
    public void PrepareQuery_RepresentativeQueries_GenerateTheApprovedSql()
    {
        var text = new StringBuilder();
        foreach (var (name, query) in LedgerSqlSnapshots.Queries)
        {
            foreach (var fast in (bool[])[true, false])
            {
                using var command = new SqliteCommand();
                SqliteUsageLedger.PrepareQuery(command, query, query.IsDayAligned, fast);
                LedgerSqlSnapshots.Append(text, $"{name}, {(fast ? "fast" : "exact")} form", command.CommandText, Parameters(command));
            }
        }

        using (var read = new SqliteCommand())
        {
            SqliteUsageLedger.PrepareRead(read, LedgerSqlSnapshots.ReadRange.From, LedgerSqlSnapshots.ReadRange.To);
            LedgerSqlSnapshots.Append(text, "read", read.CommandText, Parameters(read));
        }

        // On a deliberate change: review Querying/*.received.txt and rename it to *.approved.txt.
        text.ToString().ShouldMatchApproved(c => c.NoDiff());
    }

    private static List<(string Name, object? Value)> Parameters(SqliteCommand command) =>
        command.Parameters.Cast<SqliteParameter>().Select(p => ((string Name, object? Value))(p.ParameterName, p.Value)).ToList();
}
