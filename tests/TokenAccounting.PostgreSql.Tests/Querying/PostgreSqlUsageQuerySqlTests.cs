using System.Globalization;
using System.Text;
using Npgsql;

namespace TokenAccounting.PostgreSql.Tests.Querying;

/// <summary>The SQL the ledger generates for representative queries and reads, snapshotted so a change to it is reviewed (no server needed).</summary>
public sealed class PostgreSqlUsageQuerySqlTests
{
    [Fact]
    public void PrepareQuery_RepresentativeQueries_GenerateTheApprovedSql()
    {
        var text = new StringBuilder();
        foreach (var (name, query) in LedgerSqlSnapshots.Queries)
        {
            using var command = new NpgsqlCommand();
            PostgreSqlUsageLedger.PrepareQuery(command, query, query.IsDayAligned);
            LedgerSqlSnapshots.Append(text, name, command.CommandText, Parameters(command));
        }

        using (var read = new NpgsqlCommand())
        {
            PostgreSqlUsageLedger.PrepareRead(read, LedgerSqlSnapshots.ReadRange.From, LedgerSqlSnapshots.ReadRange.To);
            LedgerSqlSnapshots.Append(text, "read", read.CommandText, Parameters(read));
        }

        // On a deliberate change: review Querying/*.received.txt and rename it to *.approved.txt.
        text.ToString().ShouldMatchApproved(c => c.NoDiff());
    }

    // Positional parameters: named by their position, with the CLR type they are bound as.
    private static List<(string Name, object? Value)> Parameters(NpgsqlCommand command) =>
        command.Parameters.Select((p, i) => ("$" + (i + 1).ToString(CultureInfo.InvariantCulture), p.Value)).ToList();
}
