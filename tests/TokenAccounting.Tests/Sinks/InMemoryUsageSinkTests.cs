using System.Collections;

namespace TokenAccounting.Tests.Sinks;

public sealed class InMemoryUsageSinkTests
{
    private static readonly UsageRollupKey Key = new(new DateOnly(2026, 12, 1), "m", "openai", UsageOperation.Chat, null, null, null);

    [Fact]
    public async Task WriteAsync_BatchThrowsWhileApplying_TheRetryWithTheSameIdApplies()
    {
        var sink = new InMemoryUsageSink();
        var record = Usage.Chat("m", 3, 1) with { Id = "r1" };
        var rollup = new UsageRollup(Key, new TokenCounts(3, 1), 1, null, 1);

        await Should.ThrowAsync<InvalidOperationException>(async () =>
            await sink.WriteAsync(new UsageBatch("b1", [record], new ThrowingAfterFirst<UsageRollup>(rollup)), CancellationToken.None));
        await sink.WriteAsync(new UsageBatch("b1", [record], [rollup]), CancellationToken.None);

        sink.BatchCount.ShouldBe(1);
        sink.Records.ShouldHaveSingleItem().Id.ShouldBe("r1", "nothing of the failed attempt stayed, and the retry was not mistaken for a duplicate");
        sink.Total.RequestCount.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_RollupSumsBeyondLong_SaturateInsteadOfThrowingOrWrapping()
    {
        var sink = new InMemoryUsageSink();
        var half = (long.MaxValue / 2) + 1;
        var big = new UsageRollup(Key, new TokenCounts(half, 0), 1, null, 1);

        await sink.WriteAsync(new UsageBatch("a", [], [big]), CancellationToken.None);
        await sink.WriteAsync(new UsageBatch("b", [], [big]), CancellationToken.None);

        sink.Total.Tokens.Input.ShouldBe(long.MaxValue);
        sink.Total.RequestCount.ShouldBe(2);
        sink.BatchCount.ShouldBe(2);
    }

    [Fact]
    public async Task TotalsByModel_PricedAndUnpricedRollups_SumThePricedCostAndCountTheUnpriced()
    {
        var sink = new InMemoryUsageSink();
        var free = Key with { Model = "free" };
        var unknown = Key with { Model = "unknown" };
        await sink.WriteAsync(
            new UsageBatch("b1", [], [
                new UsageRollup(Key, new TokenCounts(10, 1), 3, new UsageCost(0.25m, 0m, 0m, 0.5m, 0m), 1),
                new UsageRollup(Key with { UserId = "u" }, new TokenCounts(5, 1), 2, new UsageCost(1m, 0m, 0m, 0m, 0m), 0),
                new UsageRollup(free, new TokenCounts(1, 1), 1, UsageCost.Zero, 0),
                new UsageRollup(unknown, new TokenCounts(2, 2), 2, null, 2),
            ]),
            CancellationToken.None);

        var byModel = sink.TotalsByModel();

        byModel["m"].ShouldBe(new UsageSummary(new TokenCounts(15, 2), 5, new UsageCost(1.25m, 0m, 0m, 0.5m, 0m), 1));
        byModel["free"].Cost.ShouldBe(UsageCost.Zero, "priced at zero is priced: not null");
        byModel["unknown"].ShouldBe(new UsageSummary(new TokenCounts(2, 2), 2, null, 2), "nothing priced: cost null, not zero");
        sink.Totals(k => k.Model == "unknown").Cost.ShouldBeNull();
        sink.Totals(_ => true).UnpricedRequestCount.ShouldBe(3);
    }

    [Fact]
    public void Addition_NullAndPricedCosts_KeepsThePricedSumAndAddsTheUnpricedCounts()
    {
        var priced = new UsageSummary(new TokenCounts(1, 1), 1, new UsageCost(1m, 0m, 0m, 0m, 0m), 0);
        var unpriced = new UsageSummary(new TokenCounts(2, 0), 2, null, 2);

        (priced + unpriced).ShouldBe(new UsageSummary(new TokenCounts(3, 1), 3, new UsageCost(1m, 0m, 0m, 0m, 0m), 2));
        (unpriced + unpriced).Cost.ShouldBeNull();
        UsageSummary.Add(priced, priced).Cost!.Total.ShouldBe(2m);
        (new UsageSummary(TokenCounts.Zero, long.MaxValue, null, long.MaxValue) + unpriced).RequestCount.ShouldBe(long.MaxValue, "saturates, never wraps");
    }

    /// <summary>A list whose enumeration throws after its first item: a batch that fails part-way through being applied.</summary>
    private sealed class ThrowingAfterFirst<T>(T first) : IReadOnlyList<T>
    {
        public int Count => 2;

        public T this[int index] => index == 0 ? first : throw new InvalidOperationException("injected");

        public IEnumerator<T> GetEnumerator()
        {
            yield return first;
            throw new InvalidOperationException("injected");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
