namespace TokenAccounting.Testing.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_Testing_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(FakeUsageRecorder).Assembly);

        // On a deliberate change: review TokenAccounting.Testing.Tests/PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting.Testing").NoDiff());
    }
}
