using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Tests;

/// <summary>The README's quick start, verbatim apart from the assertion, so it keeps compiling and stays true.</summary>
public sealed class ReadmeQuickStartTests
{
    [Fact]
    public async Task QuickStart_AsInTheReadme_CountsTheRecordInTheScope()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink();
        await using var provider = services.BuildServiceProvider();
        var recorder = provider.GetRequiredService<IUsageRecorder>();

        using (var scope = UsageScope.Begin("summarize", userId: "alice"))
        {
            // After each model call: normalize the provider's usage and record it.
            recorder.Record(new UsageRecord { Model = "gpt-4o", Provider = "openai", Tokens = TokenCounts.FromOpenAI(1200, 300, cachedTokens: 1000) });
            scope.Totals.Tokens.Total.ShouldBe(1500);
        }

        await recorder.FlushAsync();
        provider.GetRequiredService<InMemoryUsageSink>().TotalsByUser()["alice"].Tokens.CachedInput.ShouldBe(1000);
    }
}
