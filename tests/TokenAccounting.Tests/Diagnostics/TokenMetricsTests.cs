using System.Diagnostics.Metrics;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>The usage instruments: the GenAI token histogram, tokens by type, cost, and the user dimensions option.</summary>
public sealed class TokenMetricsTests
{
    private static readonly long[] GenAiTokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    private static UsageRecord ChatRecord() => new()
    {
        Model = "gpt-4o",
        ResponseModel = "gpt-4o-2024-08-06",
        Provider = "openai",
        Operation = UsageOperation.Chat,
        Tokens = new TokenCounts(input: 1200, output: 300, cachedInput: 800, cacheWriteInput: 200, reasoning: 100),
        UserId = "alice",
        TenantId = "acme",
    };

    [Fact]
    public async Task TokenUsage_Instrument_IsLongHistogramWithTokenUnitAndGenAiBucketAdvice()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder();

        var instrument = meters.TokenUsage.Instrument.ShouldBeOfType<Histogram<long>>();

        instrument.Unit.ShouldBe("{token}");
        instrument.Meter.Name.ShouldBe("TokenAccounting");
        instrument.Advice.ShouldNotBeNull().HistogramBucketBoundaries.ShouldBe(GenAiTokenBuckets);
    }

    [Fact]
    public async Task TokenUsage_ChatRecord_RecordsInputAndOutputWithGenAiAttributes()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder();

        recorder.Record(ChatRecord());
        await recorder.FlushAsync();

        var measurements = meters.TokenUsage.GetMeasurementSnapshot();
        measurements.Count.ShouldBe(2);
        var input = measurements.Where(m => Equals(m.Tags["gen_ai.token.type"], "input")).ShouldHaveSingleItem();
        input.Value.ShouldBe(1200L);
        meters.TokenUsage.Instrument.ShouldNotBeNull().Unit.ShouldBe("{token}");
        input.Tags.ShouldBe(
            new Dictionary<string, object?>
            {
                ["gen_ai.operation.name"] = "chat",
                ["gen_ai.provider.name"] = "openai",
                ["gen_ai.request.model"] = "gpt-4o",
                ["gen_ai.response.model"] = "gpt-4o-2024-08-06",
                ["gen_ai.token.type"] = "input",
            },
            ignoreOrder: true);
        var output = measurements.Where(m => Equals(m.Tags["gen_ai.token.type"], "output")).ShouldHaveSingleItem();
        output.Value.ShouldBe(300L, "output is inclusive of the 100 reasoning tokens, as the conventions define it");
        output.Tags["gen_ai.request.model"].ShouldBe("gpt-4o");
    }

    [Fact]
    public async Task TokenUsage_NoResponseModelNorProvider_OmitsResponseModelAndNamesProviderUnknown()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder();

        recorder.Record(new UsageRecord { Model = "local-llama", Tokens = new TokenCounts(10, 5) });
        await recorder.FlushAsync();

        var measurements = meters.TokenUsage.GetMeasurementSnapshot();
        measurements.Count.ShouldBe(2);
        foreach (var measurement in measurements)
        {
            measurement.Tags.Keys.ShouldNotContain("gen_ai.response.model");
            measurement.Tags["gen_ai.provider.name"].ShouldBe("unknown");
            measurement.Tags["gen_ai.request.model"].ShouldBe("local-llama");
        }
    }

    [Fact]
    public async Task TokenUsage_EmbeddingsRecord_RecordsInputOnly()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder();

        recorder.Record(Usage.Embedding("text-embedding-3-small", 512));
        await recorder.FlushAsync();

        var measurement = meters.TokenUsage.GetMeasurementSnapshot().ShouldHaveSingleItem();
        measurement.Value.ShouldBe(512L);
        measurement.Tags["gen_ai.token.type"].ShouldBe("input");
        measurement.Tags["gen_ai.operation.name"].ShouldBe("embeddings");
    }

    [Fact]
    public async Task Tokens_RecordWithCacheAndReasoning_CountsEveryTokenTypeWithUsageAttributes()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder();

        recorder.Record(ChatRecord());
        await recorder.FlushAsync();

        meters.Tokens.Instrument.ShouldBeOfType<Counter<long>>().Unit.ShouldBe("{token}");
        var measurements = meters.Tokens.GetMeasurementSnapshot();
        measurements.ToDictionary(m => (string)m.Tags["tokenaccounting.token.type"]!, m => (object)m.Value).ShouldBe(
            new Dictionary<string, object>
            {
                ["input"] = 1200L,
                ["output"] = 300L,
                ["cache_read"] = 800L,
                ["cache_creation"] = 200L,
                ["reasoning"] = 100L,
            },
            ignoreOrder: true);
        foreach (var measurement in measurements)
        {
            measurement.Tags.Count.ShouldBe(5);
            measurement.Tags["gen_ai.operation.name"].ShouldBe("chat");
            measurement.Tags["gen_ai.provider.name"].ShouldBe("openai");
            measurement.Tags["gen_ai.request.model"].ShouldBe("gpt-4o");
            measurement.Tags["gen_ai.response.model"].ShouldBe("gpt-4o-2024-08-06");
        }
    }

    [Fact]
    public async Task Tokens_NoCacheOrReasoning_AddsOnlyInputAndOutput()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder();

        recorder.Record(Usage.Chat("gpt-4o-mini", 40, 7));
        recorder.Record(Usage.Chat("gpt-4o-mini", 60, 3));
        await recorder.FlushAsync();

        var measurements = meters.Tokens.GetMeasurementSnapshot();
        measurements.Select(m => m.Tags["tokenaccounting.token.type"]).Distinct().ShouldBe(["input", "output"], ignoreOrder: true);
        measurements.Where(m => Equals(m.Tags["tokenaccounting.token.type"], "input")).Sum(m => (long)m.Value).ShouldBe(100);
        measurements.Where(m => Equals(m.Tags["tokenaccounting.token.type"], "output")).Sum(m => (long)m.Value).ShouldBe(10);
    }

    [Fact]
    public async Task Cost_PricedRecord_AddsTotalInUsdByOperationProviderAndModel()
    {
        using var meters = new IsolatedMeters();
        var cost = new UsageCost(input: 0.001m, cachedInput: 0.0002m, cacheWrite: 0.00075m, output: 0.002m, reasoning: 0.001m);
        await using var recorder = meters.CreateRecorder(pricer: r => r.Model == "gpt-4o" ? cost : null);

        recorder.Record(ChatRecord());
        await recorder.FlushAsync();

        meters.Cost.Instrument.ShouldBeOfType<Counter<double>>().Unit.ShouldBe("{USD}");
        var measurement = meters.Cost.GetMeasurementSnapshot().ShouldHaveSingleItem();
        measurement.Value.ShouldBeOfType<double>().ShouldBe(0.00495, tolerance: 1e-12);
        measurement.Tags.ShouldBe(
            new Dictionary<string, object?>
            {
                ["gen_ai.operation.name"] = "chat",
                ["gen_ai.provider.name"] = "openai",
                ["gen_ai.request.model"] = "gpt-4o",
                ["gen_ai.response.model"] = "gpt-4o-2024-08-06",
            },
            ignoreOrder: true);
        meters.Unpriced.GetMeasurementSnapshot().ShouldBeEmpty();
    }

    [Fact]
    public async Task Cost_UnknownModel_AddsNoCostAndCountsTheRecordUnpriced()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder(pricer: r => r.Model == "gpt-4o" ? UsageCost.Zero : null);

        recorder.Record(Usage.Chat("no-such-model", 10, 1));
        await recorder.FlushAsync();

        meters.Cost.GetMeasurementSnapshot().ShouldBeEmpty();
        var unpriced = meters.Unpriced.GetMeasurementSnapshot().ShouldHaveSingleItem();
        unpriced.Value.ShouldBe(1L);
        meters.Unpriced.Instrument.ShouldNotBeNull().Unit.ShouldBe("{record}");
        unpriced.Tags["gen_ai.request.model"].ShouldBe("no-such-model");
    }

    [Fact]
    public async Task UserDimensions_Default_AreNotAttributesOfAnyInstrument()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder(pricer: _ => UsageCost.Zero);
        recorder.Options.IncludeUserDimensionsInMetrics.ShouldBeFalse();

        recorder.Record(ChatRecord());
        await recorder.FlushAsync();

        var measurements = meters.AllMeasurements();
        measurements.Select(m => m.Instrument).Distinct().ShouldBe(["gen_ai.client.token.usage", "tokenaccounting.tokens", "tokenaccounting.cost"], ignoreOrder: true);
        foreach (var measurement in measurements)
        {
            measurement.Tags.Keys.ShouldNotContain("tokenaccounting.user.id");
            measurement.Tags.Keys.ShouldNotContain("tokenaccounting.tenant.id");
            measurement.Tags.Values.ShouldNotContain("alice");
            measurement.Tags.Values.ShouldNotContain("acme");
        }
    }

    [Fact]
    public async Task UserDimensions_Enabled_AddUserAndTenantToEveryUsageInstrument()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder(new TokenAccountingOptions { IncludeUserDimensionsInMetrics = true }, pricer: _ => UsageCost.Zero);

        recorder.Record(ChatRecord());
        recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        await recorder.FlushAsync();

        var measurements = meters.AllMeasurements();
        measurements.Select(m => m.Instrument).Distinct().Count().ShouldBe(3);
        foreach (var measurement in measurements)
        {
            measurement.Tags.Keys.ShouldContain("tokenaccounting.user.id");
            measurement.Tags.Keys.ShouldContain("tokenaccounting.tenant.id");
        }

        var withUser = meters.TokenUsage.GetMeasurementSnapshot().Where(m => m.Tags.TryGetValue("tokenaccounting.user.id", out var value) && Equals(value, "alice")).ToList();
        withUser.Count.ShouldBe(2);
        withUser.ShouldAllBe(m => Equals(m.Tags["tokenaccounting.tenant.id"], "acme"));
        var anonymous = meters.TokenUsage.GetMeasurementSnapshot().Where(m => m.Tags.TryGetValue("tokenaccounting.user.id", out var value) && Equals(value, string.Empty)).ToList();
        anonymous.Count.ShouldBe(2, "a record without a user is tagged with an empty user, not left out");
        anonymous.ShouldAllBe(m => Equals(m.Tags["tokenaccounting.tenant.id"], string.Empty));
    }

    [Fact]
    public async Task TokenUsage_Record_SamplesOnTheCallersThreadBeforeTheAggregatorRuns()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder();
        recorder.SuspendBackgroundAggregation(true);

        recorder.Record(ChatRecord());

        // No flush and no aggregator pass: the samples are recorded by Record() itself, as UseOpenTelemetry() records
        // them on the call's thread, so the aggregator never falls behind a caller because of an SDK's lookups.
        var measurements = meters.TokenUsage.GetMeasurementSnapshot();
        measurements.Select(m => m.Value).OrderBy(v => v).ShouldBe(new long[] { 300, 1200 });
        recorder.GetDiagnostics().RecordsAggregated.ShouldBe(0);
        recorder.SuspendBackgroundAggregation(false);
        await recorder.FlushAsync();
        meters.TokenUsage.GetMeasurementSnapshot().Count.ShouldBe(2, "the aggregator records no second pair");
    }

    [Fact]
    public async Task UserDimensions_Enabled_SamplesInheritUserAndTenantFromTheEnclosingScope()
    {
        using var meters = new IsolatedMeters();
        await using var recorder = meters.CreateRecorder(new TokenAccountingOptions { IncludeUserDimensionsInMetrics = true }, pricer: _ => UsageCost.Zero);

        using (UsageScope.Begin("request", "bob", "globex"))
        {
            recorder.Record(Usage.Chat("gpt-4o", 10, 5));
            recorder.Record(ChatRecord());
        }

        await recorder.FlushAsync();

        var samples = meters.TokenUsage.GetMeasurementSnapshot();
        samples.Count.ShouldBe(4);
        samples.Count(m => Equals(m.Tags["tokenaccounting.user.id"], "bob") && Equals(m.Tags["tokenaccounting.tenant.id"], "globex"))
            .ShouldBe(2, "a record without a user takes the scope's, as the aggregator's counters do");
        samples.Count(m => Equals(m.Tags["tokenaccounting.user.id"], "alice") && Equals(m.Tags["tokenaccounting.tenant.id"], "acme"))
            .ShouldBe(2, "the record's own user wins over the scope's");
        meters.Tokens.GetMeasurementSnapshot().Where(m => Equals(m.Tags["tokenaccounting.user.id"], "bob")).Sum(m => m.Value).ShouldBe(15L);
    }

    [Fact]
    public async Task TokenUsage_ListenerThrows_RecordReturnsAndTheFailureIsCountedNotThrown()
    {
        using var meters = new IsolatedMeters();
        var sink = new InMemoryUsageSink();
        await using var recorder = meters.CreateRecorder(sinks: sink);
        using var throwing = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, meters.Factory) && instrument.Name == TokenAccountingDiagnostics.TokenUsageInstrument)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        throwing.SetMeasurementEventCallback<long>((_, _, _, _) => throw new InvalidOperationException("a listener that fails"));
        throwing.Start();

        Should.NotThrow(() => recorder.Record(ChatRecord()));
        await recorder.FlushAsync();

        recorder.GetDiagnostics().StageFailures.ShouldBe(1);
        sink.Records.ShouldHaveSingleItem().Model.ShouldBe("gpt-4o");
    }
}
