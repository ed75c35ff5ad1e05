using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>The OpenTelemetry SDK exports the instruments once the user writes <c>AddMeter(TokenAccountingDiagnostics.MeterName)</c>.</summary>
[Collection(StaticMeterListeners.Name)]
public sealed class OpenTelemetryExportTests
{
    [Fact]
    public async Task AddMeter_MeterName_ExportsTheInstrumentsWithNamesUnitsValuesAndBuckets()
    {
        // The SDK listens to every meter of the name in the test process: keep only this test's model.
        var model = $"otel-export-{Guid.NewGuid():N}";
        var exported = new List<Metric>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(TokenAccountingDiagnostics.MeterName)
            .AddInMemoryExporter(exported)
            .Build();
        await using (var recorder = new UsageRecorder(
            [new InMemoryUsageSink()], options: null, timeProvider: null, loggerFactory: null, meterFactory: null, pricer: _ => new UsageCost(0.002m, 0, 0, 0.001m, 0), observers: null))
        {
            recorder.Record(new UsageRecord { Model = model, Provider = "anthropic", Tokens = new TokenCounts(input: 2000, output: 150, cachedInput: 1500) });
            recorder.Record(new UsageRecord { Model = model, Provider = "anthropic", Tokens = new TokenCounts(input: 100, output: 50) });
            await recorder.FlushAsync();
        }

        meterProvider.ForceFlush().ShouldBeTrue();

        // Another TokenAccounting meter alive in the process (another recorder's IMeterFactory) is exported as its own
        // stream of the same name: look at every stream, and find this test's point in exactly one of them.
        var tokenUsage = Streams(exported, "gen_ai.client.token.usage");
        tokenUsage.ShouldAllBe(m => m.Unit == "{token}" && m.MeterName == "TokenAccounting" && m.MetricType == MetricType.Histogram);
        var input = Point(tokenUsage, model, "gen_ai.token.type", "input");
        input.GetHistogramCount().ShouldBe(2);
        input.GetHistogramSum().ShouldBe(2100);
        var bounds = new List<double>();
        foreach (var bucket in input.GetHistogramBuckets())
        {
            bounds.Add(bucket.ExplicitBound);
        }

        bounds.ShouldBe([1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, double.PositiveInfinity]);
        Tags(input).ShouldBe(
            new Dictionary<string, object?>
            {
                ["gen_ai.operation.name"] = "chat",
                ["gen_ai.provider.name"] = "anthropic",
                ["gen_ai.request.model"] = model,
                ["gen_ai.token.type"] = "input",
            },
            ignoreOrder: true);
        Point(tokenUsage, model, "gen_ai.token.type", "output").GetHistogramSum().ShouldBe(200);

        var tokens = Streams(exported, "tokenaccounting.tokens");
        tokens.ShouldAllBe(m => m.Unit == "{token}" && m.MetricType == MetricType.LongSum);
        Point(tokens, model, "tokenaccounting.token.type", "cache_read").GetSumLong().ShouldBe(1500);
        Point(tokens, model, "tokenaccounting.token.type", "input").GetSumLong().ShouldBe(2100);

        var cost = Streams(exported, "tokenaccounting.cost");
        cost.ShouldAllBe(m => m.Unit == "{USD}" && m.MetricType == MetricType.DoubleSum);
        Point(cost, model).GetSumDouble().ShouldBe(0.006, tolerance: 1e-12);

        Streams(exported, "tokenaccounting.sink.flush.duration").ShouldAllBe(m => m.Unit == "s" && m.MetricType == MetricType.Histogram);
    }

    private static List<Metric> Streams(List<Metric> exported, string name)
    {
        var streams = exported.Where(m => m.Name == name).ToList();
        streams.ShouldNotBeEmpty($"{name} was exported");
        return streams;
    }

    private static MetricPoint Point(List<Metric> streams, string model, string? tag = null, string? value = null)
    {
        var found = new List<MetricPoint>();
        foreach (var metric in streams)
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var tags = Tags(point);
                if (Equals(tags.GetValueOrDefault("gen_ai.request.model"), model) && (tag is null || Equals(tags.GetValueOrDefault(tag), value)))
                {
                    found.Add(point);
                }
            }
        }

        return found.ShouldHaveSingleItem($"{streams[0].Name} for {model} {tag}={value}");
    }

    private static Dictionary<string, object?> Tags(MetricPoint point)
    {
        var tags = new Dictionary<string, object?>();
        foreach (var tag in point.Tags)
        {
            tags.Add(tag.Key, tag.Value);
        }

        return tags;
    }
}
