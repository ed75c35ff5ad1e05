namespace TokenAccounting.PostgreSql.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_PostgreSql_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(PostgreSqlUsageLedger).Assembly);

        // On a deliberate change: review TokenAccounting.PostgreSql.Tests.PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting.PostgreSql").NoDiff());
    }
}
