namespace TokenAccounting.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_Core_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(UsageRecord).Assembly);

        // On a deliberate change: review TokenAccounting.Tests/PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting").NoDiff());
    }
}
