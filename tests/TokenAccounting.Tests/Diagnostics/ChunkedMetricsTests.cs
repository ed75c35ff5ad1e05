using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;

namespace TokenAccounting.Tests.Diagnostics;

/// <summary>
/// The metrics stage sums the counters per attribute set and publishes them once per drained chunk, while the token
/// histogram still gets its samples per record: the totals a backend sees must equal what was recorded, per attribute set.
/// </summary>
public sealed class ChunkedMetricsTests
{
    [Fact]
    public async Task Counters_ManyRecordsOfSeveralAttributeSets_SumExactlyPerSet()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        await using var recorder = new UsageRecorder([new InMemoryUsageSink()], meterFactory: factory);
        using var tokens = new MetricCollector<long>(factory, TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.TokensInstrument);
        using var usage = new MetricCollector<long>(factory, TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.TokenUsageInstrument);
        using var cost = new MetricCollector<double>(factory, TokenAccountingDiagnostics.MeterName, TokenAccountingDiagnostics.CostInstrument);

        UsageRecord[] shapes =
        [
            new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(100, 10, 40, 0, 0, 5), Cost = new UsageCost(0.25m, 0m, 0m, 0.5m, 0m) },
            new() { Model = "gpt-4o", ResponseModel = "gpt-4o-2024-08-06", Provider = "openai", Tokens = new TokenCounts(7, 3) },
            new() { Model = "claude-sonnet-4", Provider = "anthropic", Tokens = new TokenCounts(50, 20, 0, 30), Cost = new UsageCost(1m, 0m, 0m, 0m, 0m) },
        ];
        const int Count = 1_000;
        for (var i = 0; i < Count; i++)
        {
            // Interleaved and in runs, across several chunks.
            recorder.Record(shapes[(i / 7 + i) % 3]);
        }

        await recorder.FlushAsync();
        var perShape = Enumerable.Range(0, Count).GroupBy(i => (i / 7 + i) % 3).ToDictionary(g => g.Key, g => (long)g.Count());

        long Sum(string model, string? responseModel, string type) => tokens.GetMeasurementSnapshot()
            .Where(m => Equals(m.Tags["gen_ai.request.model"], model) && Equals(m.Tags.GetValueOrDefault("gen_ai.response.model"), responseModel)
                && Equals(m.Tags[TokenAccountingDiagnostics.DetailedTokenTypeAttribute], type))
            .Sum(m => m.Value);

        Sum("gpt-4o", null, "input").ShouldBe(100 * perShape[0]);
        Sum("gpt-4o", null, "cache_read").ShouldBe(40 * perShape[0]);
        Sum("gpt-4o", null, "reasoning").ShouldBe(5 * perShape[0]);
        Sum("gpt-4o", "gpt-4o-2024-08-06", "output").ShouldBe(3 * perShape[1]);
        Sum("claude-sonnet-4", null, "cache_creation").ShouldBe(30 * perShape[2]);
        tokens.GetMeasurementSnapshot().Count.ShouldBeLessThan(Count, "counters are published per chunk and attribute set, not per record");

        // The histogram: one input and one output sample per record, with its own attribute set's tags.
        var samples = usage.GetMeasurementSnapshot();
        samples.Count.ShouldBe(2 * Count);
        samples.Where(m => Equals(m.Tags["gen_ai.token.type"], "input") && Equals(m.Tags["gen_ai.request.model"], "claude-sonnet-4"))
            .ShouldAllBe(m => m.Value == 50);
        samples.Count(m => Equals(m.Tags.GetValueOrDefault("gen_ai.response.model"), "gpt-4o-2024-08-06")).ShouldBe((int)(2 * perShape[1]));

        cost.GetMeasurementSnapshot().Where(m => Equals(m.Tags["gen_ai.request.model"], "gpt-4o")).Sum(m => m.Value).ShouldBe(0.75 * perShape[0], 1e-9);
        cost.GetMeasurementSnapshot().Where(m => Equals(m.Tags["gen_ai.request.model"], "claude-sonnet-4")).Sum(m => m.Value).ShouldBe(1.0 * perShape[2], 1e-9);
    }
}
