using Microsoft.Data.Sqlite;

namespace TokenAccounting.Sqlite.Tests;

public sealed class SqliteUsageLedgerBurstTests : IDisposable
{
    private readonly TempDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task QueryTotalsAsync_MillionRecordBurstWithDefaultOptions_DayAlignedTotalsAreExactAndEveryDropIsCounted()
    {
        // One producer, as fast as it can, into the embedded SQL ledger: whatever the pipeline drops (details past the
        // buffer, records past the ingest queue), the rollups it writes keep the totals exact.
        using var ledger = new SqliteUsageLedger(_db.Options());
        var (expected, delivery) = await LedgerBurst.RunAsync(ledger, 1_000_000);

        CountDetails().ShouldBe(delivery.DeliveredRecords, "the database holds exactly the delivered details");
        LedgerBurst.ShouldMatch(await ledger.QueryTotalsAsync(LedgerBurst.Query), expected, delivery);
    }

    private long CountDetails()
    {
        using var connection = new SqliteConnection(_db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM usage_records";
        return (long)command.ExecuteScalar()!;
    }
}
