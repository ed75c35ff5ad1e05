namespace TokenAccounting.Testing.Tests.Assertions;

public sealed class UsageAssertionsTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private static readonly PriceCatalog Catalog = PriceCatalog.Create(
        [new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2.5m, Output = 10m }]);

    [Fact]
    public void ShouldHaveRecorded_Matching_ReturnsTheMatchingRecords()
    {
        var recorder = Recorded();

        var matched = recorder.ShouldHaveRecorded(calls: 2, model: "gpt-4o", inputTokens: 1200, outputTokens: 60, totalTokens: 1260, totalCost: 0.0036m);

        matched.Select(r => r.Id).ShouldBe(["fake-000001", "fake-000002"]);
        recorder.ShouldHaveRecorded(userId: "alice", scopePath: "checkout", calls: 3);
        recorder.ShouldHaveRecorded(operation: UsageOperation.Embeddings, provider: "openai");
    }

    [Fact]
    public void ShouldHaveRecorded_CallsAndCostDiffer_ListsEachDifferenceAndTheRecords()
    {
        var exception = Should.Throw<UsageAssertionException>(() => Recorded().ShouldHaveRecorded(calls: 3, model: "gpt-4o", totalCost: 0.0031m));

        exception.Message.ShouldMatchApproved(c => c.NoDiff());
    }

    [Fact]
    public void ShouldHaveRecorded_SomeRecordsUnpriced_SaysSoInsteadOfComparingAPartialSum()
    {
        var exception = Should.Throw<UsageAssertionException>(() => Recorded().ShouldHaveRecorded(userId: "alice", totalCost: 0.0036m));

        exception.Message.ShouldMatchApproved(c => c.NoDiff());
    }

    [Fact]
    public void ShouldHaveRecorded_NoRecordMatchesTheFilter_FailsListingAllRecords()
    {
        var exception = Should.Throw<UsageAssertionException>(() => Recorded().ShouldHaveRecorded(model: "claude-sonnet-4", tenantId: "acme"));

        exception.Message.ShouldMatchApproved(c => c.NoDiff());
    }

    [Fact]
    public void ShouldHaveRecorded_CostDiffersInTheLastDecimalPlace_Fails()
    {
        var recorder = Recorded();

        Should.Throw<UsageAssertionException>(() => recorder.ShouldHaveRecorded(model: "gpt-4o", totalCost: 0.00360001m));
        recorder.ShouldHaveRecorded(model: "gpt-4o", totalCost: 0.003600m);
    }

    [Fact]
    public void ShouldHaveRecorded_NothingRecorded_FailsSayingSo()
    {
        var exception = Should.Throw<UsageAssertionException>(() => new FakeUsageRecorder().ShouldHaveRecorded(calls: 1));

        exception.Message.ShouldBe("ShouldHaveRecorded failed for all records (0 of 0 records match):\n  calls:          expected 1, but was 0\nRecorded:\n(nothing recorded)");
    }

    [Fact]
    public void ShouldHaveRecordedNothing_SomethingRecorded_ListsIt()
    {
        var exception = Should.Throw<UsageAssertionException>(() => Recorded().ShouldHaveRecordedNothing());

        exception.Message.ShouldMatchApproved(c => c.NoDiff());
        new FakeUsageRecorder().ShouldHaveRecordedNothing();
    }

    [Fact]
    public async Task ShouldHaveRecorded_OnAnInMemorySink_ChecksTheDeliveredRecords()
    {
        var sink = new InMemoryUsageSink();
        await using (var recorder = new UsageRecorder([sink], timeProvider: new FakeTimeProvider(Start), priceCatalog: Catalog))
        {
            recorder.Record(Chat(1000, 40));
            await recorder.FlushAsync();
        }

        sink.ShouldHaveRecorded(calls: 1, totalCost: 0.0029m);
        Should.Throw<UsageAssertionException>(() => sink.ShouldHaveRecorded(calls: 2)).Message.ShouldContain("calls:          expected 2, but was 1");
    }

    [Fact]
    public void ShouldHaveAttributed_ScopeTotalsDiffer_ListsTheDifferenceAndTheEntries()
    {
        var recorder = new FakeUsageRecorder(new FakeTimeProvider(Start), Catalog);
        using var scope = UsageScope.Begin("agent-run");
        recorder.Record(Chat(1000, 40));
        recorder.Record(Chat(200, 20) with { Model = "unknown-model" });

        scope.ShouldHaveAttributed(calls: 2, inputTokens: 1200, outputTokens: 60);
        var exception = Should.Throw<UsageAssertionException>(() => scope.ShouldHaveAttributed(calls: 1, totalCost: 0.003m));

        exception.Message.ShouldMatchApproved(c => c.NoDiff());
    }

    [Fact]
    public void UsageAssertionException_DerivesFromExceptionOnly_SoEveryTestFrameworkReportsAFailure()
    {
        typeof(UsageAssertionException).BaseType.ShouldBe(typeof(Exception));
        typeof(UsageAssertionException).IsSealed.ShouldBeTrue();
    }

    [Fact]
    public void Dump_Records_ListsOneRecordPerLine()
    {
        Recorded().Dump().ShouldMatchApproved(c => c.NoDiff());
    }

    private static FakeUsageRecorder Recorded()
    {
        var time = new FakeTimeProvider(Start);
        var recorder = new FakeUsageRecorder(time, Catalog);
        using (UsageScope.Begin("checkout", userId: "alice", tags: new Dictionary<string, string> { ["feature"] = "summary" }))
        {
            recorder.Record(Chat(1000, 40) with { Tokens = new TokenCounts(1000, 40, cachedInput: 200) });
            recorder.Record(Chat(200, 20));
            recorder.Record(Chat(10, 0) with { Model = "mystery-model", Outcome = UsageOutcome.Failed, Provenance = UsageProvenance.Estimated });
        }

        recorder.Record(new UsageRecord { Model = "text-embedding-3-small", Provider = "openai", Operation = UsageOperation.Embeddings, Tokens = new TokenCounts(5000, 0), TenantId = "acme" });
        return recorder;
    }

    private static UsageRecord Chat(long input, long output) =>
        new() { Model = "gpt-4o", Provider = "openai", Operation = UsageOperation.Chat, Tokens = new TokenCounts(input, output) };
}
