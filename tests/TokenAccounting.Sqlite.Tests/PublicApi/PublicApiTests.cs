namespace TokenAccounting.Sqlite.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_Sqlite_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(SqliteUsageLedger).Assembly);

        // On a deliberate change: review TokenAccounting.Sqlite.Tests/PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting.Sqlite").NoDiff());
    }
}
