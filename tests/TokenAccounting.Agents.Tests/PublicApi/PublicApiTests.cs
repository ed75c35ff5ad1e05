namespace TokenAccounting.Agents.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_Agents_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(TokenAccountingAgentOptions).Assembly);

        // On a deliberate change: review PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting.Agents").NoDiff());
    }
}
