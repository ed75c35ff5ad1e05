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
        sink.TotalRequests.ShouldBe(1);
    }

    [Fact]
    public async Task WriteAsync_RollupSumsBeyondLong_SaturateInsteadOfThrowingOrWrapping()
    {
        var sink = new InMemoryUsageSink();
        var half = (long.MaxValue / 2) + 1;
        var big = new UsageRollup(Key, new TokenCounts(half, 0), 1, null, 1);

        await sink.WriteAsync(new UsageBatch("a", [], [big]), CancellationToken.None);
        await sink.WriteAsync(new UsageBatch("b", [], [big]), CancellationToken.None);

        sink.TotalTokens.Input.ShouldBe(long.MaxValue);
        sink.TotalRequests.ShouldBe(2);
        sink.BatchCount.ShouldBe(2);
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
