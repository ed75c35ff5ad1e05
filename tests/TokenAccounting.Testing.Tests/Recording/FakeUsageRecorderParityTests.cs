namespace TokenAccounting.Testing.Tests.Recording;

/// <summary>
/// The fake recorder against the real <see cref="UsageRecorder"/> on the same inputs: the same validation errors, the
/// same records field by field (ids apart), the same totals and the same scope attribution.
/// </summary>
public sealed class FakeUsageRecorderParityTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private static readonly PriceCatalog Catalog = PriceCatalog.Create(
    [
        new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2.5m, CachedInput = 1.25m, Output = 10m },
        new ModelPrice { Provider = "openai", Model = "text-embedding-3-small", Input = 0.02m, Output = 0m },
    ]);

    public static TheoryData<string> Scenarios => new(ScenarioTable.Keys.Order(StringComparer.Ordinal));

    public static TheoryData<string> InvalidRecords => new(InvalidRecordTable.Keys.Order(StringComparer.Ordinal));

    private static Dictionary<string, (TokenAccountingOptions Options, Func<IUsageRecorder, FakeTimeProvider, List<UsageScope>> Run)> ScenarioTable { get; } = new()
    {
        ["plain records, priced and unpriced"] = (new(), static (recorder, time) =>
        {
            recorder.Record(Chat("gpt-4o", 1200, 300));
            time.Advance(TimeSpan.FromSeconds(3));
            recorder.Record(Chat("gpt-4o", 1000, 50) with { Tokens = new TokenCounts(1000, 50, cachedInput: 400) });
            recorder.Record(Chat("unknown-model", 10, 10));
            recorder.Record(new UsageRecord { Model = "text-embedding-3-small", Provider = "openai", Operation = UsageOperation.Embeddings, Tokens = new TokenCounts(5000, 0) });
            return [];
        }),
        ["nested scopes with inherited and own dimensions"] = (new(), static (recorder, time) =>
        {
            using var run = UsageScope.Begin("agent-run", userId: "alice", tenantId: "acme", tags: new Dictionary<string, string> { ["feature"] = "search", ["env"] = "test" });
            recorder.Record(Chat("gpt-4o", 100, 20));
            using (var step = UsageScope.Begin("extract", userId: null, tags: new Dictionary<string, string> { ["feature"] = "extract" }))
            {
                time.Advance(TimeSpan.FromMilliseconds(250));
                recorder.Record(Chat("gpt-4o", 200, 40));
                recorder.Record(Chat("gpt-4o", 300, 60) with { UserId = "bob", Tags = new Dictionary<string, string> { ["env"] = "prod", ["call"] = "3" } });
                recorder.Record(Chat("unknown-model", 7, 1));
            }

            recorder.Record(Chat("gpt-4o", 50, 5) with { TenantId = "other", ScopePath = "explicit/path" });
            return [run];
        }),
        ["records with their own id, times and cost"] = (new(), static (recorder, time) =>
        {
            using var scope = UsageScope.Begin("batch");
            recorder.Record(Chat("gpt-4o", 10, 10) with { Id = "given-id", CompletedAt = Start.AddHours(-2), StartedAt = Start.AddHours(-3), Latency = TimeSpan.FromHours(1) });
            recorder.Record(Chat("gpt-4o", 10, 10) with { Cost = new UsageCost(1m, 0m, 0m, 2m, 0m) });
            recorder.Record(Chat("gpt-4o", 10, 10) with { Outcome = UsageOutcome.Failed, DegradedReason = "router_failed", Provenance = UsageProvenance.Estimated, HistoryLength = 4, CorrelationId = "c-1" });
            return [scope];
        }),
        ["text stripped when capture is off"] = (new(), static (recorder, _) =>
        {
            recorder.Record(Chat("gpt-4o", 10, 10) with { Text = "the prompt" });
            return [];
        }),
        ["text kept when capture is on"] = (new() { CaptureText = true }, static (recorder, _) =>
        {
            recorder.Record(Chat("gpt-4o", 10, 10) with { Text = "the prompt" });
            return [];
        }),
        ["disposed scopes out of order"] = (new(), static (recorder, _) =>
        {
            var outer = UsageScope.Begin("outer", userId: "u-outer");
            var middle = UsageScope.Begin("middle", userId: "u-middle");
            var inner = UsageScope.Begin("inner");
            middle.Dispose();
            recorder.Record(Chat("gpt-4o", 100, 10));
            inner.Dispose();
            recorder.Record(Chat("gpt-4o", 10, 1));
            outer.Dispose();
            recorder.Record(Chat("gpt-4o", 1, 1));
            return [outer, middle, inner];
        }),
    };

    private static Dictionary<string, UsageRecord> InvalidRecordTable { get; } = new()
    {
        ["empty model"] = Chat(string.Empty, 1, 1),
        ["white-space model"] = Chat("  ", 1, 1),
        ["negative history length"] = Chat("gpt-4o", 1, 1) with { HistoryLength = -1 },
        ["negative latency"] = Chat("gpt-4o", 1, 1) with { Latency = TimeSpan.FromSeconds(-1) },
        ["completed before started"] = Chat("gpt-4o", 1, 1) with { StartedAt = Start, CompletedAt = Start.AddSeconds(-1) },
        ["undefined outcome"] = Chat("gpt-4o", 1, 1) with { Outcome = (UsageOutcome)42 },
        ["undefined provenance"] = Chat("gpt-4o", 1, 1) with { Provenance = (UsageProvenance)42 },
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Record_SameInputsAsRealRecorder_ProducesSameRecordsFieldByField(string scenario)
    {
        var (real, realScopes, sink) = await RunRealAsync(scenario);
        var (fake, fakeScopes) = RunFake(scenario);

        var expected = real.Select(r => RecordDescriber.Describe(r)).ToArray();
        var actual = fake.Records.Select(r => RecordDescriber.Describe(r)).ToArray();
        actual.ShouldBe(expected);
        fake.Records.ShouldAllBe(r => r.Id != null && r.CompletedAt != null);
        fake.Records.Select(r => r.Id).Distinct().Count().ShouldBe(fake.Count);
        real.Count.ShouldBeGreaterThan(0);
        sink.Records.Count.ShouldBe(real.Count);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Totals_SameInputsAsRealRecorder_MatchTheSinksTotals(string scenario)
    {
        var (_, _, sink) = await RunRealAsync(scenario);
        var (fake, _) = RunFake(scenario);

        fake.Total.ShouldBe(sink.Total);
        fake.TotalsByModel().OrderBy(p => p.Key, StringComparer.Ordinal).ShouldBe(sink.TotalsByModel().OrderBy(p => p.Key, StringComparer.Ordinal));
        fake.TotalsByUser().OrderBy(p => p.Key, StringComparer.Ordinal).ShouldBe(sink.TotalsByUser().OrderBy(p => p.Key, StringComparer.Ordinal));
        fake.TotalsByTenant().OrderBy(p => p.Key, StringComparer.Ordinal).ShouldBe(sink.TotalsByTenant().OrderBy(p => p.Key, StringComparer.Ordinal));
        fake.TotalsByOperation().OrderBy(p => p.Key.Value, StringComparer.Ordinal).ShouldBe(sink.TotalsByOperation().OrderBy(p => p.Key.Value, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Record_SameInputsAsRealRecorder_AttributesSameTotalsToScopes(string scenario)
    {
        var (_, realScopes, _) = await RunRealAsync(scenario);
        var (_, fakeScopes) = RunFake(scenario);

        fakeScopes.Count.ShouldBe(realScopes.Count);
        for (var i = 0; i < realScopes.Count; i++)
        {
            var expected = realScopes[i].Totals;
            var actual = fakeScopes[i].Totals;
            actual.RequestCount.ShouldBe(expected.RequestCount, realScopes[i].Path);
            actual.Tokens.ShouldBe(expected.Tokens, realScopes[i].Path);
            actual.Cost.ShouldBe(expected.Cost, realScopes[i].Path);
            actual.Entries.Select(e => (e.Operation, e.Model, e.RequestCount, e.Tokens, e.Cost)).ShouldBe(expected.Entries.Select(e => (e.Operation, e.Model, e.RequestCount, e.Tokens, e.Cost)));
        }
    }

    [Theory]
    [MemberData(nameof(InvalidRecords))]
    public async Task Record_InvalidRecord_ThrowsSameErrorAsRealRecorder(string name)
    {
        var record = InvalidRecordTable[name];
        var sink = new InMemoryUsageSink();
        await using var real = new UsageRecorder([sink], timeProvider: new FakeTimeProvider(Start));
        var fake = new FakeUsageRecorder(new FakeTimeProvider(Start));

        var expected = Should.Throw<ArgumentException>(() => real.Record(record));
        var actual = Should.Throw<ArgumentException>(() => fake.Record(record));

        actual.GetType().ShouldBe(expected.GetType());
        actual.ParamName.ShouldBe(expected.ParamName);
        actual.Message.ShouldBe(expected.Message);
        fake.Count.ShouldBe(0);
        await real.FlushAsync();
        sink.Records.Count.ShouldBe(0);
    }

    [Fact]
    public async Task Record_Null_ThrowsArgumentNullExceptionLikeRealRecorder()
    {
        await using var real = new UsageRecorder([new InMemoryUsageSink()]);
        var fake = new FakeUsageRecorder();

        var expected = Should.Throw<ArgumentNullException>(() => real.Record(null!));
        Should.Throw<ArgumentNullException>(() => fake.Record(null!)).ParamName.ShouldBe(expected.ParamName);
    }

    private static UsageRecord Chat(string model, long input, long output) =>
        new() { Model = model, Provider = "openai", Operation = UsageOperation.Chat, Tokens = new TokenCounts(input, output) };

    private static async Task<(IReadOnlyList<UsageRecord> Records, List<UsageScope> Scopes, InMemoryUsageSink Sink)> RunRealAsync(string scenario)
    {
        var (options, run) = ScenarioTable[scenario];
        var time = new FakeTimeProvider(Start);
        var sink = new InMemoryUsageSink();
        await using var recorder = new UsageRecorder([sink], options, time, priceCatalog: Catalog);
        var scopes = run(recorder, time);
        await recorder.FlushAsync();
        return (sink.Records, scopes, sink);
    }

    private static (FakeUsageRecorder Recorder, List<UsageScope> Scopes) RunFake(string scenario)
    {
        var (options, run) = ScenarioTable[scenario];
        var time = new FakeTimeProvider(Start);
        var recorder = new FakeUsageRecorder(time, Catalog, options);
        return (recorder, run(recorder, time));
    }
}
