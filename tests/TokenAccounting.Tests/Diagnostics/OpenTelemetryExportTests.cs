using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>The OpenTelemetry SDK exports the instruments once the user writes <c>AddMeter(TokenAccountingDiagnostics.MeterName)</c>.</summary>
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

        var tokenUsage = exported.Single(m => m.Name == "gen_ai.client.token.usage");
        tokenUsage.Unit.ShouldBe("{token}");
        tokenUsage.MeterName.ShouldBe("TokenAccounting");
        tokenUsage.MetricType.ShouldBe(MetricType.Histogram);
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

        var tokens = exported.Single(m => m.Name == "tokenaccounting.tokens");
        tokens.Unit.ShouldBe("{token}");
        tokens.MetricType.ShouldBe(MetricType.LongSum);
        Point(tokens, model, "tokenaccounting.token.type", "cache_read").GetSumLong().ShouldBe(1500);
        Point(tokens, model, "tokenaccounting.token.type", "input").GetSumLong().ShouldBe(2100);

        var cost = exported.Single(m => m.Name == "tokenaccounting.cost");
        cost.Unit.ShouldBe("{USD}");
        cost.MetricType.ShouldBe(MetricType.DoubleSum);
        Point(cost, model).GetSumDouble().ShouldBe(0.006, tolerance: 1e-12);

        exported.Single(m => m.Name == "tokenaccounting.sink.flush.duration").Unit.ShouldBe("s");
    }

    private static MetricPoint Point(Metric metric, string model, string? tag = null, string? value = null)
    {
        var found = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var tags = Tags(point);
            if (Equals(tags.GetValueOrDefault("gen_ai.request.model"), model) && (tag is null || Equals(tags.GetValueOrDefault(tag), value)))
            {
                found.Add(point);
            }
        }

        return found.ShouldHaveSingleItem($"{metric.Name} for {model} {tag}={value}");
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
