namespace TokenAccounting.Tests.Pipeline;

/// <summary>
/// Rollups are summed once per drained chunk on the aggregator (with a by-reference fast path for a repeated key) and
/// merged per key by each sink worker: the sums must stay exact and keyed by value, whatever the string instances.
/// </summary>
public sealed class ChunkRollupsTests
{
    private static readonly DateTimeOffset Day = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Add_EqualKeysFromDistinctStringInstances_SumIntoOneDelta()
    {
        var rollups = new ChunkRollups();
        var first = Record(new string("gpt-4o".AsSpan()), new string("alice".AsSpan()), 10);
        var second = Record(new string("gpt-4o".AsSpan()), new string("alice".AsSpan()), 5);
        ReferenceEquals(first.Model, second.Model).ShouldBeFalse();

        rollups.Add(UsageRollupKey.For(first), first);
        rollups.Add(UsageRollupKey.For(second), second);

        var delta = rollups.Cells.ShouldHaveSingleItem().Value;
        delta.Requests.ShouldBe(2);
        delta.Tokens.Input.ShouldBe(15);
    }

    [Fact]
    public void Add_InterleavedKeys_KeepsEachKeyExact()
    {
        var rollups = new ChunkRollups();
        string[] users = ["alice", "bob", "carol"];
        for (var i = 0; i < 300; i++)
        {
            var record = Record("gpt-4o", users[i % 3], i);
            rollups.Add(UsageRollupKey.For(record), record);
        }

        rollups.Cells.Count.ShouldBe(3);
        for (var u = 0; u < 3; u++)
        {
            var cell = rollups.Cells.Single(c => c.Key.UserId == users[u]).Value;
            cell.Requests.ShouldBe(100);
            cell.Tokens.Input.ShouldBe(Enumerable.Range(0, 300).Where(i => i % 3 == u).Sum(i => (long)i));
        }
    }

    [Fact]
    public void Clear_ReusedCells_StartFromZero()
    {
        var rollups = new ChunkRollups();
        var priced = Record("gpt-4o", "alice", 7) with { Cost = new UsageCost(1m, 0m, 0m, 2m, 0m) };
        rollups.Add(UsageRollupKey.For(priced), priced);
        rollups.Clear();
        rollups.Cells.ShouldBeEmpty();

        var unpriced = Record("gpt-4o", "bob", 3);
        rollups.Add(UsageRollupKey.For(unpriced), unpriced);

        var cell = rollups.Cells.ShouldHaveSingleItem().Value;
        cell.Requests.ShouldBe(1);
        cell.Tokens.Input.ShouldBe(3);
        cell.Cost.ShouldBeNull("the reused cell must not carry the previous chunk's cost");
        cell.Unpriced.ShouldBe(1);
    }

    [Fact]
    public void Add_SaturatingSums_AreFlaggedAndClamped()
    {
        var rollups = new ChunkRollups();
        var huge = Record("gpt-4o", "alice", long.MaxValue / 2 + 1);
        rollups.Add(UsageRollupKey.For(huge), huge);
        rollups.Saturated.ShouldBeFalse();
        rollups.Add(UsageRollupKey.For(huge), huge);

        rollups.Saturated.ShouldBeTrue();
        rollups.Cells.ShouldHaveSingleItem().Value.Tokens.Input.ShouldBe(long.MaxValue);
    }

    [Fact]
    public async Task Record_ManyKeysAndCostsThroughTwoSinks_RollupsAreExactInEach()
    {
        var first = new InMemoryUsageSink();
        var second = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(first, second);
        string[] users = ["alice", "bob", "carol", "dave"];
        var expectedCost = 0m;
        for (var i = 0; i < 2_000; i++)
        {
            var cost = new UsageCost(0.0001m * (i % 7), 0.00033m, 0m, 0.002m, 0m);
            expectedCost += cost.Total;

            // Fresh string instances for half of them: keys are equal by value, not by reference.
            var user = i % 2 == 0 ? users[i % 4] : new string(users[i % 4].AsSpan());
            recorder.Record(Record("gpt-4o", user, 10) with { Cost = cost });
        }

        await recorder.FlushAsync();

        foreach (var sink in new[] { first, second })
        {
            var rollups = sink.Rollups;
            rollups.Count.ShouldBe(4);
            rollups.Sum(r => r.RequestCount).ShouldBe(2_000);
            rollups.Sum(r => r.Tokens.Input).ShouldBe(20_000);
            rollups.Sum(r => r.Cost!.Total).ShouldBe(expectedCost);
        }
    }

    private static UsageRecord Record(string model, string user, long input) => new()
    {
        Model = model,
        Provider = "openai",
        UserId = user,
        Tokens = new TokenCounts(input, 1),
        CompletedAt = Day,
        Id = "r",
    };
}
