namespace TokenAccounting.Extensions.AI.Tests.PublicApi;

public sealed class PublicApiTests
{
    [Fact]
    public void PublicApi_ExtensionsAI_MatchesApprovedListing()
    {
        var listing = PublicApiListing.For(typeof(AccountingChatClient).Assembly);

        // On a deliberate change: review PublicApi/*.received.txt and rename it to *.approved.txt.
        listing.ShouldMatchApproved(c => c.WithDiscriminator("TokenAccounting.Extensions.AI").NoDiff());
    }
}
