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
        using var collector = new MeterCollector(TokenAccountingDiagnostics.MeterName);
        await using var recorder = UsageRecorder.Create();

        recorder.Record(Usage.Chat(model, 21, 4));
        await recorder.FlushAsync();

        var measurements = collector.For("gen_ai.client.token.usage", "gen_ai.request.model", model);
        measurements.Select(m => m.Value).ShouldBe([21L, 4L], ignoreOrder: true);
        measurements.ShouldAllBe(m => m.Instrument.Meter.Scope == null);
        collector.Instruments.Where(i => i.Name == "gen_ai.client.token.usage" && i.Meter.Scope == null).ShouldHaveSingleItem(
            "every recorder without a factory shares one set of static instruments");
    }
}
