using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>Instruments come from the container's <see cref="IMeterFactory"/> when it has one.</summary>
public sealed class MeterFactoryTests
{
    [Fact]
    public async Task AddTokenAccounting_ContainerWithAddMetrics_CreatesInstrumentsFromItsMeterFactory()
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddTokenAccounting().AddInMemorySink();
        await using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<IMeterFactory>();
        using var published = new PublishedInstruments(TokenAccountingDiagnostics.MeterName, factory);
        using var collector = new MetricCollector<long>(factory, TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.TokenUsageInstrument);

        var recorder = provider.GetRequiredService<IUsageRecorder>();
        recorder.Record(Usage.Chat("gpt-4o", 30, 6));
        await recorder.FlushAsync();

        var instrument = collector.Instrument.ShouldNotBeNull();
        instrument.Meter.Scope.ShouldBeSameAs(factory);
        instrument.Meter.Name.ShouldBe("TokenAccounting");
        instrument.Meter.Version.ShouldBe(typeof(UsageRecorder).Assembly.GetName().Version!.ToString());
        collector.GetMeasurementSnapshot().Select(m => m.Value).ShouldBe([30L, 6L], ignoreOrder: true);
        published.Instruments.Select(i => i.Name).ShouldBe(
            [
                "gen_ai.client.token.usage",
                "tokenaccounting.tokens",
                "tokenaccounting.cost",
                "tokenaccounting.records.unpriced",
                "tokenaccounting.records.dropped",
                "tokenaccounting.records.quarantined",
                "tokenaccounting.sink.failures",
                "tokenaccounting.sink.flush.duration",
                "tokenaccounting.budget.denials",
                "tokenaccounting.buffer.records",
            ],
            ignoreOrder: true);
        published.Instruments.ShouldAllBe(i => i.Meter.Scope == factory);
    }

    [Fact]
    public void Constants_NameTheInstrumentsAndAttributesTheRecorderPublishes()
    {
        // Users write these constants into AddMeter and dashboards: they must equal the published names.
        TokenAccountingDiagnostics.MeterName.ShouldBe("TokenAccounting");
        TokenAccountingDiagnostics.ActivitySourceName.ShouldBe("TokenAccounting");
        TokenAccountingDiagnostics.TokenUsageInstrument.ShouldBe("gen_ai.client.token.usage");
        TokenAccountingDiagnostics.TokensInstrument.ShouldBe("tokenaccounting.tokens");
        TokenAccountingDiagnostics.CostInstrument.ShouldBe("tokenaccounting.cost");
        TokenAccountingDiagnostics.RecordsDroppedInstrument.ShouldBe("tokenaccounting.records.dropped");
        TokenAccountingDiagnostics.SinkFailuresInstrument.ShouldBe("tokenaccounting.sink.failures");
        TokenAccountingDiagnostics.SinkFlushDurationInstrument.ShouldBe("tokenaccounting.sink.flush.duration");
        TokenAccountingDiagnostics.BufferedRecordsInstrument.ShouldBe("tokenaccounting.buffer.records");
        TokenAccountingDiagnostics.BudgetDenialsInstrument.ShouldBe("tokenaccounting.budget.denials");
        TokenAccountingDiagnostics.UnpricedRecordsInstrument.ShouldBe("tokenaccounting.records.unpriced");
        TokenAccountingDiagnostics.TokenTypeAttribute.ShouldBe("gen_ai.token.type");
        TokenAccountingDiagnostics.DetailedTokenTypeAttribute.ShouldBe("tokenaccounting.token.type");
        TokenAccountingDiagnostics.SinkAttribute.ShouldBe("tokenaccounting.sink");
        TokenAccountingDiagnostics.ReasonAttribute.ShouldBe("tokenaccounting.reason");
        TokenAccountingDiagnostics.UserAttribute.ShouldBe("tokenaccounting.user.id");
        TokenAccountingDiagnostics.TenantAttribute.ShouldBe("tokenaccounting.tenant.id");
        TokenAccountingDiagnostics.CostActivityTag.ShouldBe("tokenaccounting.cost.usd");
    }
}
