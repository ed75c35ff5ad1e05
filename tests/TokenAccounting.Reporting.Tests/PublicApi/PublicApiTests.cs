namespace TokenAccounting.Reporting.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_Reporting_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(SpendReport).Assembly);

        // On a deliberate change: review TokenAccounting.Reporting.Tests/PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting.Reporting").NoDiff());
    }
}
