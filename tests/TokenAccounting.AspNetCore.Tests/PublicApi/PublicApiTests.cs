namespace TokenAccounting.AspNetCore.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_AspNetCore_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(TokenAccountingHttpOptions).Assembly);

        // On a deliberate change: review TokenAccounting.AspNetCore.Tests/PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting.AspNetCore").NoDiff());
    }
}
