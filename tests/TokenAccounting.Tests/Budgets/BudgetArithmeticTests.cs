namespace TokenAccounting.Tests.Budgets;

/// <summary>Budget sums saturate: no overflow crashes the observation of recorded usage or a reservation.</summary>
public sealed class BudgetArithmeticTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void FromRecord_CostWhoseTotalOverflowsDecimal_SaturatesInsteadOfThrowing()
    {
        var record = new UsageRecord { Model = "m", Cost = new UsageCost(decimal.MaxValue, 0m, 0m, decimal.MaxValue, 0m) };

        BudgetAmount.FromRecord(record).Cost.ShouldBe(decimal.MaxValue);
    }

    [Fact]
    public async Task OnRecord_TwoRecordsWhoseCostsSumPastDecimalMaxValue_CountSaturatedAndTheNextReservationIsDenied()
    {
        var manager = new BudgetManager([new BudgetPolicy { Name = "usd", Unit = BudgetUnit.Usd, Limit = 1_000m, Window = BudgetWindow.Lifetime }], new InMemoryBudgetStore(), new FakeTimeProvider(Start));
        IUsageObserver observer = manager;
        var huge = new UsageRecord { Model = "m", CompletedAt = Start, Cost = new UsageCost(decimal.MaxValue / 2 + 1, 0m, 0m, 0m, 0m) };

        observer.OnRecord(huge);
        observer.OnRecord(huge);

        (await manager.GetUsedAsync("usd")).ShouldBe(decimal.MaxValue);
        await Should.ThrowAsync<BudgetExceededException>(() => manager.ReserveAsync(BudgetAmount.FromCost(0m)).AsTask());
    }

    [Fact]
    public async Task CommitAsync_RecordWithACostPastDecimalMaxValue_CommitsSaturated()
    {
        var manager = new BudgetManager([new BudgetPolicy { Name = "usd", Unit = BudgetUnit.Usd, Limit = 1_000m }], new InMemoryBudgetStore(), new FakeTimeProvider(Start));
        var reservation = await manager.ReserveAsync(BudgetAmount.FromCost(1m), new BudgetSubject());

        await reservation.CommitAsync(new UsageRecord { Model = "m", Cost = new UsageCost(decimal.MaxValue, decimal.MaxValue, 0m, 0m, 0m) });

        (await manager.GetUsedAsync("usd", new BudgetSubject())).ShouldBe(decimal.MaxValue);
    }
}
