namespace TokenAccounting.Tests.Diagnostics;

/// <summary>Recorders built without an <see cref="System.Diagnostics.Metrics.IMeterFactory"/> share one static meter.</summary>
[Collection(StaticMeterListeners.Name)]
public sealed class StaticMeterTests
{
    [Fact]
    public async Task Recorder_NoMeterFactory_RecordsOnTheSharedStaticMeter()
    {
        // The static meter is shared by every recorder of the test process: filter by a model no other test uses.
        var model = $"static-meter-{Guid.NewGuid():N}";
        using var published = new PublishedInstruments(TokenAccountingDiagnostics.MeterName);
        using var collector = new MetricCollector<long>(meterScope: null, TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.TokenUsageInstrument);
        await using var recorder = UsageRecorder.Create();

        recorder.Record(Usage.Chat(model, 21, 4));
        await recorder.FlushAsync();

        var measurements = collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags["gen_ai.request.model"], model)).ToList();
        measurements.Select(m => m.Value).ShouldBe([21L, 4L], ignoreOrder: true);
        collector.Instrument.ShouldNotBeNull().Meter.Scope.ShouldBeNull("the collector follows the static meter's instrument only");
        published.Instruments.Where(i => i.Name == "gen_ai.client.token.usage" && i.Meter.Scope == null).ShouldHaveSingleItem(
            "every recorder without a factory shares one set of static instruments");
    }
}
