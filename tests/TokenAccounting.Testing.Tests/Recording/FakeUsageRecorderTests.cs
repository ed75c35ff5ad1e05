namespace TokenAccounting.Testing.Tests.Recording;

public sealed class FakeUsageRecorderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Record_WithoutIdOrCompletedAt_StampsSequentialIdsAndTheInjectedTime()
    {
        var time = new FakeTimeProvider(Start);
        var recorder = new FakeUsageRecorder(time);

        recorder.Record(Chat("gpt-4o", 1, 1));
        time.Advance(TimeSpan.FromSeconds(5));
        recorder.Record(Chat("gpt-4o", 2, 2));
        recorder.Record(Chat("gpt-4o", 3, 3) with { Id = "mine", CompletedAt = Start.AddDays(-1) });

        recorder.Records.Select(r => r.Id).ShouldBe(["fake-000001", "fake-000002", "mine"]);
        recorder.Records.Select(r => r.CompletedAt).ShouldBe([Start, Start.AddSeconds(5), Start.AddDays(-1)]);
    }

    [Fact]
    public void Record_IsVisibleAtOnce_WithoutFlush()
    {
        var recorder = new FakeUsageRecorder();

        recorder.Record(Chat("gpt-4o", 10, 2));

        recorder.Count.ShouldBe(1);
        recorder.FlushCount.ShouldBe(0);
    }

    [Fact]
    public void FlushAsync_NothingInTheBackground_CompletesSynchronously()
    {
        var recorder = new FakeUsageRecorder();
        recorder.Record(Chat("gpt-4o", 10, 2));

        var flush = recorder.FlushAsync();

        flush.IsCompletedSuccessfully.ShouldBeTrue();
        recorder.FlushCount.ShouldBe(1);
    }

    [Fact]
    public void Record_InsideScopes_InheritsDimensionsAndAddsTokensAndCostIntoEveryOpenScope()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2m, Output = 8m }]);
        var recorder = new FakeUsageRecorder(new FakeTimeProvider(Start), catalog);

        using var run = UsageScope.Begin("run", userId: "alice", tenantId: "acme", tags: new Dictionary<string, string> { ["a"] = "1" });
        using (UsageScope.Begin("step", userId: "bob", tags: new Dictionary<string, string> { ["b"] = "2" }))
        {
            recorder.Record(Chat("gpt-4o", 1_000_000, 0));
        }

        recorder.Record(Chat("gpt-4o", 0, 1_000_000) with { UserId = "carol" });

        var records = recorder.Records;
        records[0].UserId.ShouldBe("bob");
        records[0].TenantId.ShouldBe("acme");
        records[0].ScopePath.ShouldBe("run/step");
        records[0].Tags.ShouldNotBeNull().OrderBy(p => p.Key).ShouldBe([new("a", "1"), new("b", "2")]);
        records[0].Cost!.Total.ShouldBe(2m);
        records[1].UserId.ShouldBe("carol");
        records[1].ScopePath.ShouldBe("run");
        run.Totals.RequestCount.ShouldBe(2);
        run.Totals.Cost!.Total.ShouldBe(10m);
    }

    [Fact]
    public void Totals_PricedAndUnpricedModels_SumThePricedCostAndCountTheUnpriced()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2m, Output = 8m }]);
        var recorder = new FakeUsageRecorder(new FakeTimeProvider(Start), catalog);

        recorder.Record(Chat("gpt-4o", 1_000_000, 0));
        recorder.Record(Chat("unknown-model", 5, 5));
        recorder.Record(Chat("unknown-model", 5, 5));

        recorder.Total.Cost!.Total.ShouldBe(2m);
        recorder.Total.RequestCount.ShouldBe(3);
        recorder.Total.UnpricedRequestCount.ShouldBe(2);
        recorder.TotalsByModel()["gpt-4o"].UnpricedRequestCount.ShouldBe(0);
        recorder.TotalsByModel()["unknown-model"].ShouldBe(new UsageSummary(new TokenCounts(10, 10), 2, Cost: null, UnpricedRequestCount: 2), "nothing priced: cost null, not zero");
    }

    [Fact]
    public void Totals_ByScopeAndForScope_SplitExactPathsAndIncludeNestedOnes()
    {
        var recorder = new FakeUsageRecorder();
        recorder.Record(Chat("gpt-4o", 1, 0));
        using (UsageScope.Begin("run"))
        {
            recorder.Record(Chat("gpt-4o", 10, 0));
            using (UsageScope.Begin("step"))
            {
                recorder.Record(Chat("gpt-4o", 100, 0));
            }
        }

        recorder.Record(Chat("gpt-4o", 1000, 0) with { ScopePath = "runaway" });

        var byScope = recorder.TotalsByScope();
        byScope[string.Empty].Tokens.Input.ShouldBe(1);
        byScope["run"].Tokens.Input.ShouldBe(10);
        byScope["run/step"].Tokens.Input.ShouldBe(100);
        recorder.TotalsForScope("run").ShouldBe(new UsageSummary(new TokenCounts(110, 0), 2, Cost: null, UnpricedRequestCount: 2));
        recorder.TotalsForScope("run/step").RequestCount.ShouldBe(1);
    }

    [Fact]
    public void Record_CatalogThrows_RecordsUnpricedAndKeepsTheStageFailure()
    {
        var recorder = new FakeUsageRecorder(priceCatalog: new ThrowingCatalog());

        recorder.Record(Chat("gpt-4o", 10, 2));

        recorder.Records.ShouldHaveSingleItem().Cost.ShouldBeNull();
        recorder.StageFailures.ShouldHaveSingleItem().Message.ShouldBe("catalog down");
    }

    [Fact]
    public async Task Clear_AfterRecords_ForgetsRecordsAndRestartsIds()
    {
        var recorder = new FakeUsageRecorder();
        recorder.Record(Chat("gpt-4o", 10, 2));
        await recorder.FlushAsync();

        recorder.Clear();
        recorder.Record(Chat("gpt-4o", 1, 1));

        recorder.Records.ShouldHaveSingleItem().Id.ShouldBe("fake-000001");
        recorder.FlushCount.ShouldBe(0);
        recorder.Total.RequestCount.ShouldBe(1);
    }

    [Fact]
    public async Task Record_FromManyThreads_KeepsEveryRecordWithDistinctIds()
    {
        var recorder = new FakeUsageRecorder();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 500; i++)
            {
                recorder.Record(Chat("gpt-4o", 1, 1));
            }
        })));

        recorder.Count.ShouldBe(4000);
        recorder.Records.Select(r => r.Id).Distinct().Count().ShouldBe(4000);
        recorder.Total.Tokens.Total.ShouldBe(8000);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingTheOption()
    {
        var exception = Should.Throw<Microsoft.Extensions.Options.OptionsValidationException>(() => new FakeUsageRecorder(options: new TokenAccountingOptions { QueueCapacity = -1 }));

        exception.Message.ShouldContain(nameof(TokenAccountingOptions.QueueCapacity));
    }

    private static UsageRecord Chat(string model, long input, long output) =>
        new() { Model = model, Provider = "openai", Operation = UsageOperation.Chat, Tokens = new TokenCounts(input, output) };

    private sealed class ThrowingCatalog : IPriceCatalog
    {
        public ModelPrice? FindPrice(string? provider, string model, DateTimeOffset asOf) => throw new InvalidOperationException("catalog down");
    }
}
