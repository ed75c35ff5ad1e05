using System.Diagnostics.Metrics;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>The test kit's <see cref="MeterCollector"/>: it must see what it should and nothing else.</summary>
public sealed class MeterCollectorTests
{
    [Fact]
    public void MeterCollector_ScopeGiven_CapturesOnlyThatScopesMeter()
    {
        var name = $"collector-test-{Guid.NewGuid():N}";
        var scope = new object();
        using var mine = new Meter(new MeterOptions(name) { Scope = scope });
        using var other = new Meter(new MeterOptions(name) { Scope = new object() });
        using var collector = new MeterCollector(name, scope);

        mine.CreateCounter<long>("requests", "{request}").Add(3, new KeyValuePair<string, object?>("route", "/a"));
        other.CreateCounter<long>("requests", "{request}").Add(5);
        mine.CreateHistogram<double>("latency", "s").Record(0.5);

        collector.Instruments.ShouldAllBe(i => i.Meter == mine);
        collector.Measurements.Count.ShouldBe(2);
        var requests = collector.For("requests").ShouldHaveSingleItem();
        requests.Value.ShouldBe(3L);
        requests.Unit.ShouldBe("{request}");
        requests.Tags.ShouldBe(new Dictionary<string, object?> { ["route"] = "/a" }, ignoreOrder: true);
        collector.For("latency").ShouldHaveSingleItem().Value.ShouldBe(0.5);
    }

    [Fact]
    public void MeterCollector_NoScope_CapturesEveryMeterOfTheNameButNoOther()
    {
        var name = $"collector-test-{Guid.NewGuid():N}";
        using var first = new Meter(name);
        using var second = new Meter(new MeterOptions(name) { Scope = new object() });
        using var unrelated = new Meter($"{name}-unrelated");
        using var collector = new MeterCollector(name);

        first.CreateCounter<int>("c").Add(1);
        second.CreateCounter<int>("c").Add(2);
        unrelated.CreateCounter<int>("c").Add(4);

        collector.For("c").Select(m => m.Value).ShouldBe([1, 2], ignoreOrder: true);
    }

    [Fact]
    public void MeterCollector_Disposed_StopsCapturingAndKeepsWhatItHad()
    {
        var name = $"collector-test-{Guid.NewGuid():N}";
        using var meter = new Meter(name);
        var counter = meter.CreateCounter<long>("c");
        var collector = new MeterCollector(name);
        counter.Add(1);

        collector.Dispose();
        counter.Add(2);

        collector.Measurements.ShouldHaveSingleItem().Value.ShouldBe(1L);
    }

    [Fact]
    public async Task MeterCollector_ConcurrentRecording_CapturesEveryMeasurement()
    {
        var name = $"collector-test-{Guid.NewGuid():N}";
        using var meter = new Meter(name);
        var counter = meter.CreateCounter<long>("c");
        using var collector = new MeterCollector(name);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Add(1);
            }
        })));

        collector.For("c").Count.ShouldBe(40_000);
    }
}
