using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Tests.Pricing;

namespace TokenAccounting.Tests.Budgets;

public sealed class BudgetsBuilderExtensionsTests
{
    [Fact]
    public void AddBudgets_RegistersManagerStoreAndObserver()
    {
        var services = new ServiceCollection();
        new TestTokenAccountingBuilder(services).AddBudgets(new BudgetPolicy { Name = "daily", Limit = 1_000 });
        using var provider = services.BuildServiceProvider();

        var manager = provider.GetRequiredService<BudgetManager>();
        manager.Policies.Single().Name.ShouldBe("daily");
        provider.GetRequiredService<IBudgetStore>().ShouldBeOfType<InMemoryBudgetStore>();
        provider.GetServices<IUsageObserver>().ShouldBe([manager]);
    }

    [Fact]
    public void AddBudgets_CalledTwice_RegistersServicesOnceAndKeepsAllPolicies()
    {
        var services = new ServiceCollection();
        var builder = new TestTokenAccountingBuilder(services);

        builder.AddBudgets(new BudgetPolicy { Name = "a", Limit = 1 }).AddBudgets(o => o.Policies.Add(new BudgetPolicy { Name = "b", Limit = 2 }));
        using var provider = services.BuildServiceProvider();

        services.Count(d => d.ServiceType == typeof(BudgetManager)).ShouldBe(1);
        services.Count(d => d.ServiceType == typeof(IUsageObserver)).ShouldBe(1);
        provider.GetRequiredService<BudgetManager>().Policies.Select(p => p.Name).ShouldBe(["a", "b"]);
    }

    [Fact]
    public void AddBudgets_UserStoreRegisteredFirst_Wins()
    {
        var services = new ServiceCollection();
        var mine = new InMemoryBudgetStore();
        services.AddSingleton<IBudgetStore>(mine);
        new TestTokenAccountingBuilder(services).AddBudgets(new BudgetPolicy { Name = "a", Limit = 1 });
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IBudgetStore>().ShouldBeSameAs(mine);
    }
}
