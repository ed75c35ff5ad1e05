using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Chat;

/// <summary>Real budgets (AddBudgets) enforced by the middleware through the real pipeline.</summary>
public sealed class BudgetGateTests
{
    private static ServiceProvider Build(BudgetPolicy policy)
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink().AddPricing().AddBudgets(policy);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task GetResponseAsync_OverBudget_ThrowsBeforeTheInnerClientAndRecordsSkipped()
    {
        await using var provider = Build(new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 500 });
        var inner = ScriptedModels.Answering(100, 20);
        var client = inner.WithTokenAccounting(provider, o => o.DefaultOutputTokenEstimate = 1000);

        using var scope = UsageScope.Begin("run", userId: "alice");
        var denied = await Should.ThrowAsync<BudgetExceededException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]));

        denied.Policy.Name.ShouldBe("daily");
        inner.CallCount.ShouldBe(0);
        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        provider.GetRequiredService<InMemoryUsageSink>().Records.ShouldHaveSingleItem().Outcome.ShouldBe(UsageOutcome.Skipped);
        provider.GetRequiredService<BudgetManager>().GetUsed("daily", new BudgetSubject { UserId = "alice" }).ShouldBe(0m, "a refused reservation holds nothing");
    }

    [Fact]
    public async Task GetResponseAsync_WithinBudget_CommitsTheActualUsageOnce()
    {
        await using var provider = Build(new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 10_000 });
        var client = ScriptedModels.Answering(100, 20).WithTokenAccounting(provider);

        using (UsageScope.Begin("run", userId: "alice"))
        {
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]);
        }

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        // Committed by the reservation (120), not counted again by the budgets' observer of recorded usage.
        provider.GetRequiredService<BudgetManager>().GetUsed("daily", new BudgetSubject { UserId = "alice" }).ShouldBe(120m);
        var record = provider.GetRequiredService<InMemoryUsageSink>().Records.ShouldHaveSingleItem();
        record.Tags!.Keys.ShouldContain(BudgetManager.ReservationTagKey);
        record.Cost!.Total.ShouldBe(0.00045m, "100 × $2.50/1M + 20 × $10/1M, priced by the gate for the commit");
    }

    [Fact]
    public async Task GetResponseAsync_InnerClientFails_ReleasesTheReservation()
    {
        await using var provider = Build(new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 10_000 });
        var inner = new ScriptedChatClient(new ChatClientMetadata("openai", null, "gpt-4o")).Fail(new HttpRequestException("503"));
        var client = inner.WithTokenAccounting(provider);

        using (UsageScope.Begin("run", userId: "alice"))
        {
            await Should.ThrowAsync<HttpRequestException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]));
        }

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        var record = provider.GetRequiredService<InMemoryUsageSink>().Records.ShouldHaveSingleItem();
        record.Outcome.ShouldBe(UsageOutcome.Failed);
        record.Tokens.Total.ShouldBeGreaterThan(0, "the record still carries the estimated input");

        // Failed before any usage or content arrived (an HTTP 503): the provider billed nothing, so the reservation
        // is released, and the record is marked so that the budgets' observer does not count its estimate either.
        // (This test used to assert that the estimate was charged, the opposite of its name: issue 12 §4.)
        provider.GetRequiredService<BudgetManager>().GetUsed("daily", new BudgetSubject { UserId = "alice" }).ShouldBe(0m);
        record.Tags.ShouldNotBeNull().Keys.ShouldContain(BudgetManager.ReservationTagKey);
    }

    [Fact]
    public async Task GetResponseAsync_CapOutputTokensToBudget_LowersMaxOutputTokensToWhatRemains()
    {
        await using var provider = Build(new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 1_000 });
        var inner = ScriptedModels.Answering(10, 10, calls: 2);
        var client = inner.WithTokenAccounting(provider, o => o.CapOutputTokensToBudget = true);
        var budgets = provider.GetRequiredService<BudgetManager>();
        budgets.Reserve(BudgetAmount.FromTokens(700), new BudgetSubject { UserId = "alice" }).Commit(BudgetAmount.FromTokens(700));

        using (UsageScope.Begin("run", userId: "alice"))
        {
            // "hi" is 2 bytes → 1 input token estimated; 299 tokens remain, so at most 299 − 1 = 298 output tokens.
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { MaxOutputTokens = 200 });
        }

        inner.Calls[^1].Options!.MaxOutputTokens.ShouldBe(200, "the caller's smaller cap stands");

        using (UsageScope.Begin("run", userId: "alice"))
        {
            // After the first call (20 tokens) 280 remain: 1 input estimated → at most 279 output.
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { MaxOutputTokens = 5_000 });
        }

        inner.Calls[^1].Options!.MaxOutputTokens.ShouldBe(279);
    }
}
