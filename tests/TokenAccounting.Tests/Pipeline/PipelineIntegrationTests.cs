using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Tests.Pipeline;

/// <summary>Pricing and budgets wired into the pipeline through DI.</summary>
public sealed class PipelineIntegrationTests
{
    [Fact]
    public async Task AddPricing_RecordsRollupsAndScopesCarryTheCost()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero)));
        services.AddTokenAccounting().AddInMemorySink().AddPricing();
        await using var provider = services.BuildServiceProvider();
        var recorder = provider.GetRequiredService<IUsageRecorder>();
        var sink = provider.GetRequiredService<InMemoryUsageSink>();

        using var scope = UsageScope.Begin("priced");
        // gpt-4o (built-in: $2.50 / 1M input, $1.25 cached, $10 output):
        // uncached 200 × 2.50/1M = 0.0005; cached 800 × 1.25/1M = 0.001; output 100 × 10/1M = 0.001 → $0.0025
        recorder.Record(new UsageRecord { Model = "gpt-4o", Provider = "openai", Tokens = TokenCounts.FromOpenAI(1000, 100, cachedTokens: 800) });
        recorder.Record(new UsageRecord { Model = "my-private-model", Tokens = new TokenCounts(10, 10) });
        await recorder.FlushAsync();

        sink.Records.Single(r => r.Model == "gpt-4o").Cost!.Total.ShouldBe(0.0025m);
        sink.Records.Single(r => r.Model == "my-private-model").Cost.ShouldBeNull("an unknown model is never guessed");
        sink.Total.Cost!.Total.ShouldBe(0.0025m);
        sink.Rollups.Single(r => r.Key.Model == "my-private-model").UnpricedRequestCount.ShouldBe(1);
        scope.Totals.Cost!.Total.ShouldBe(0.0025m);
        provider.GetRequiredService<PricingDiagnostics>().UnpricedByModel.Keys.ShouldContain("my-private-model");
    }

    [Fact]
    public async Task AddBudgets_RecordedUsageCountsIntoTheWindowAndDenialsAreCounted()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink()
            .AddBudgets(new BudgetPolicy { Name = "per-user-daily", Dimension = BudgetDimension.User, Unit = BudgetUnit.Tokens, Limit = 1000 });
        await using var provider = services.BuildServiceProvider();
        var recorder = provider.GetRequiredService<IUsageRecorder>();
        var budgets = provider.GetRequiredService<BudgetManager>();

        recorder.Record(Usage.Chat("gpt-4o", 900, 50, userId: "alice"));
        await recorder.FlushAsync();

        budgets.GetUsed("per-user-daily", new BudgetSubject { UserId = "alice" }).ShouldBe(950m);
        var denied = Should.Throw<BudgetExceededException>(() => budgets.Reserve(BudgetAmount.FromTokens(100), new BudgetSubject { UserId = "alice" }));
        denied.Remaining.ShouldBe(50m);
        budgets.Denials.ShouldBe(1);
    }

    [Fact]
    public async Task AddBudgets_Denial_IsCountedInTheBudgetDenialsMetric()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddTokenAccounting().AddInMemorySink()
            .AddBudgets(new BudgetPolicy { Name = "denials-metric-test", Dimension = BudgetDimension.Tenant, Unit = BudgetUnit.Tokens, Limit = 10 });
        await using var provider = services.BuildServiceProvider();
        using var meters = new MetricCollector<long>(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.BudgetDenialsInstrument);
        _ = provider.GetRequiredService<IUsageRecorder>();
        var budgets = provider.GetRequiredService<BudgetManager>();

        Should.Throw<BudgetExceededException>(() => budgets.Reserve(BudgetAmount.FromTokens(11), new BudgetSubject { TenantId = "acme" }));

        var denial = meters.GetMeasurementSnapshot().ShouldHaveSingleItem();
        denial.Value.ShouldBe(1L);
        denial.Tags["tokenaccounting.budget.policy"].ShouldBe("denials-metric-test");
    }
}
