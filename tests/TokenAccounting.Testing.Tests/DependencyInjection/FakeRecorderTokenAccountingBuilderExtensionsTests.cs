using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Testing.Tests.DependencyInjection;

public sealed class FakeRecorderTokenAccountingBuilderExtensionsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void UseFakeRecorder_AfterAddTokenAccounting_ReplacesTheRecorderWithOneFake()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink().UseFakeRecorder();
        services.AddTokenAccounting();
        using var provider = services.BuildServiceProvider();

        var recorder = provider.GetRequiredService<IUsageRecorder>();

        recorder.ShouldBeOfType<FakeUsageRecorder>().ShouldBeSameAs(provider.GetRequiredService<FakeUsageRecorder>());
        services.Count(d => d.ServiceType == typeof(IUsageRecorder)).ShouldBe(1);
    }

    [Fact]
    public void UseFakeRecorder_WithContainerServices_UsesTheirClockPricingAndCaptureText()
    {
        var time = new FakeTimeProvider(Start);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddTokenAccounting(o => o.CaptureText = true)
            .AddPricing(new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2m, Output = 8m })
            .UseFakeRecorder();
        using var provider = services.BuildServiceProvider();
        var recorder = provider.GetRequiredService<FakeUsageRecorder>();

        provider.GetRequiredService<IUsageRecorder>().Record(new UsageRecord { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1_000_000, 1_000_000), Text = "hi" });

        var record = recorder.Records.ShouldHaveSingleItem();
        record.CompletedAt.ShouldBe(Start);
        record.Cost!.Total.ShouldBe(10m);
        record.Text.ShouldBe("hi");
    }

    [Fact]
    public void UseFakeRecorder_WithBudgets_CountsRecordedUsageIntoTheBudget()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        services.AddTokenAccounting()
            .AddBudgets(new BudgetPolicy { Name = "per-user", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 1000 })
            .UseFakeRecorder();
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IUsageRecorder>().Record(new UsageRecord { Model = "gpt-4o", UserId = "alice", Tokens = new TokenCounts(300, 50) });

        provider.GetRequiredService<BudgetManager>().GetUsed("per-user", new BudgetSubject { UserId = "alice" }).ShouldBe(350m);
    }

    [Fact]
    public async Task UseFakeRecorder_WithChatMiddleware_SeesEveryCallWithoutFlushing()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        services.AddTokenAccounting()
            .AddPricing(new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2.5m, Output = 10m })
            .UseFakeRecorder();
        using var provider = services.BuildServiceProvider();
        var inner = new ScriptedChatClient(new ChatClientMetadata("openai", defaultModelId: "gpt-4o"))
            .Respond("one", inputTokens: 1000, outputTokens: 60)
            .Respond("two", inputTokens: 200, outputTokens: 5);
        using var client = inner.WithTokenAccounting(provider);

        await client.GetResponseAsync("first");
        await client.GetResponseAsync("second");

        provider.GetRequiredService<FakeUsageRecorder>().ShouldHaveRecorded(calls: 2, model: "gpt-4o", inputTokens: 1200, outputTokens: 65, totalCost: 0.00365m);
    }
}
