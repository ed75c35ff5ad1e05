using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// What the metrics cost per record, caller and aggregator together: <c>PipelineMetrics.RecordSamples</c> for each record
/// of a 256-record chunk (its two histogram samples, which <c>Record()</c> records on the caller's thread), then
/// <c>PublishChunk</c> (the aggregator's share: the token, cost and unpriced counters,
/// published per attribute set from the chunk's rollup sums — the rollup stage sums them whether or not metrics are on,
/// so they are summed here once, in setup, and only read per chunk), with no listener, with a bare
/// <see cref="MeterListener"/>, and with the OpenTelemetry SDK aggregating. The chunk mixes four attribute sets (two
/// models, each with and without a response model). Baseline: one OpenTelemetry SDK <c>Histogram.Record</c> with five
/// attributes, the price of a single GenAI token sample (the stage records two per record). Each benchmark runs in its
/// own process, so each gets only its own setup.
/// </summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    private const int Chunk = 256;

    private readonly UsageRecord[] _chunk = BuildChunk();
    private readonly ChunkRollups _rollups = new();

    private MeterProvider? _sdk;
    private MeterListener? _listener;
    private Meter? _baselineMeter;
    private Histogram<long> _baselineHistogram = null!;
    private PipelineMetrics _metrics = null!;

    [GlobalSetup(Target = nameof(OtelSdkHistogramRecord))]
    public void SetupBaseline()
    {
        const string Name = "TokenAccounting.Benchmarks.Baseline";
        _baselineMeter = new Meter(Name);
        _baselineHistogram = _baselineMeter.CreateHistogram<long>(
            "gen_ai.client.token.usage", "{token}", "baseline", tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _sdk = BuildSdk(Name);
    }

    [GlobalSetup(Target = nameof(OnRecordNoListener))]
    public void SetupNoListener()
    {
        _metrics = new PipelineMetrics(new BenchmarkMeterFactory(), includeUserDimensions: false);
        SumRollups();
    }

    [GlobalSetup(Target = nameof(OnRecordMeterListener))]
    public void SetupMeterListener()
    {
        var factory = new BenchmarkMeterFactory();
        _metrics = new PipelineMetrics(factory, includeUserDimensions: false);
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _listener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        _listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        _listener.Start();
        SumRollups();
    }

    [GlobalSetup(Target = nameof(OnRecordOtelSdk))]
    public void SetupOtelSdk()
    {
        _metrics = new PipelineMetrics(new BenchmarkMeterFactory(), includeUserDimensions: false);
        _sdk = BuildSdk(TokenAccountingDiagnostics.MeterName);
        SumRollups();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener?.Dispose();
        _sdk?.Dispose();
        _baselineMeter?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "OTel SDK Histogram.Record, 5 attributes")]
    public void OtelSdkHistogramRecord() => _baselineHistogram.Record(
        1200,
        new TagList
        {
            { "gen_ai.operation.name", "chat" },
            { "gen_ai.provider.name", "openai" },
            { "gen_ai.request.model", "gpt-4o" },
            { "gen_ai.response.model", "gpt-4o-2024-08-06" },
            { "gen_ai.token.type", "input" },
        });

    [Benchmark(OperationsPerInvoke = Chunk, Description = "metrics stage per record, no listener")]
    public void OnRecordNoListener() => RunChunk();

    [Benchmark(OperationsPerInvoke = Chunk, Description = "metrics stage per record, MeterListener")]
    public void OnRecordMeterListener() => RunChunk();

    [Benchmark(OperationsPerInvoke = Chunk, Description = "metrics stage per record, OTel SDK")]
    public void OnRecordOtelSdk() => RunChunk();

    private static UsageRecord[] BuildChunk()
    {
        var cost = new UsageCost(0.0005m, 0.00125m, 0, 0.002m, 0.001m);
        var completed = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        UsageRecord[] shapes =
        [
            new() { Model = "gpt-4o", ResponseModel = "gpt-4o-2024-08-06", Provider = "openai", Tokens = new TokenCounts(1200, 300, 1000, 0, 0, 100), Cost = cost },
            new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(800, 120), Cost = cost },
            new() { Model = "claude-sonnet-4", ResponseModel = "claude-sonnet-4-20250514", Provider = "anthropic", Tokens = new TokenCounts(2400, 500, 0, 2000), Cost = cost },
            new() { Model = "claude-sonnet-4", Provider = "anthropic", Tokens = new TokenCounts(300, 90), Cost = cost },
        ];

        // Runs of the same shape, as bursts from one caller come; completed, as the aggregator has them.
        shapes = Array.ConvertAll(shapes, s => s with { CompletedAt = completed });
        return Enumerable.Range(0, Chunk).Select(i => shapes[(i / 16) % shapes.Length]).ToArray();
    }

    private void RunChunk()
    {
        foreach (var record in _chunk)
        {
            _metrics.RecordSamples(record, null);
        }

        _metrics.PublishChunk(_rollups);
    }

    private void SumRollups()
    {
        foreach (var record in _chunk)
        {
            _rollups.Add(UsageRollupKey.For(record), record);
        }
    }

    private static MeterProvider BuildSdk(string meterName) => Sdk.CreateMeterProviderBuilder()
        .AddMeter(meterName)
        .AddReader(new BaseExportingMetricReader(new NullMetricExporter()))
        .Build()!;

    /// <summary>A factory per benchmark, so its meter is listened to only by that benchmark's setup.</summary>
    private sealed class BenchmarkMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }

    /// <summary>A reader's exporter that drops everything: the SDK still aggregates every measurement.</summary>
    private sealed class NullMetricExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
