using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// The library's instruments, recorded on the aggregator and sink workers (never on the caller's thread). Created
/// once per <see cref="IMeterFactory"/> when DI has one; otherwise shared static instruments on a static meter, so
/// several recorders never create duplicate instruments (the buffer gauge sums the recorders that share them).
/// </summary>
internal sealed class PipelineMetrics : IUsageObserver
{
    public const string ReasonBufferFull = "buffer_full";
    public const string ReasonQueueFull = "queue_full";

    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    // The OpenTelemetry semantic conventions' buckets for durations in seconds, plus the default sink timeout (30 s):
    // without advice an SDK applies its default boundaries (0, 5, 10, 25 … 10000), made for milliseconds, and every
    // sink write would land in the first bucket.
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30];
    private static readonly ConditionalWeakTable<IMeterFactory, Instruments> FactoryInstruments = new();
    private static readonly Lazy<Instruments> StaticInstruments = new(() => new Instruments(new Meter(TokenAccountingDiagnostics.MeterName, Version)));
    private static readonly string? Version = typeof(PipelineMetrics).Assembly.GetName().Version?.ToString();

    private readonly Instruments _instruments;
    private readonly bool _includeUsers;
    private readonly bool _countUnpriced;

    /// <param name="meterFactory">The DI meter factory, or null for the shared static instruments.</param>
    /// <param name="includeUserDimensions">Whether usage instruments carry user and tenant attributes.</param>
    /// <param name="countUnpriced">Whether a record without a cost counts as unpriced (only meaningful when a price catalog is configured).</param>
    public PipelineMetrics(IMeterFactory? meterFactory, bool includeUserDimensions, bool countUnpriced = true)
    {
        // One set of instruments per factory: a factory hands out the same Meter to every recorder of a container,
        // and a second set would publish duplicate instruments (two buffer gauges of the same name).
        _instruments = meterFactory is null
            ? StaticInstruments.Value
            : FactoryInstruments.GetValue(meterFactory, static f => new Instruments(f.Create(new MeterOptions(TokenAccountingDiagnostics.MeterName) { Version = Version })));
        _includeUsers = includeUserDimensions;
        _countUnpriced = countUnpriced;
    }

    public void Attach(UsageRecorder recorder) => _instruments.Recorders.TryAdd(recorder, 0);

    public void Detach(UsageRecorder recorder) => _instruments.Recorders.TryRemove(recorder, out _);

    public void OnRecord(UsageRecord record)
    {
        var instruments = _instruments;
        if (!instruments.TokenUsage.Enabled && !instruments.Tokens.Enabled && !instruments.Cost.Enabled && !instruments.Unpriced.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { "gen_ai.operation.name", record.Operation.Value },
            { "gen_ai.provider.name", record.Provider ?? "unknown" },
            { "gen_ai.request.model", record.Model },
        };
        if (record.ResponseModel is { } responseModel)
        {
            tags.Add("gen_ai.response.model", responseModel);
        }

        if (_includeUsers)
        {
            tags.Add(TokenAccountingDiagnostics.UserAttribute, record.UserId ?? string.Empty);
            tags.Add(TokenAccountingDiagnostics.TenantAttribute, record.TenantId ?? string.Empty);
        }

        var tokens = record.Tokens;
        if (instruments.TokenUsage.Enabled)
        {
            var input = tags;
            input.Add(TokenAccountingDiagnostics.TokenTypeAttribute, "input");
            instruments.TokenUsage.Record(tokens.Input, input);

            // Embeddings produce no output tokens: a 0 "output" sample per call would only pile up in the first bucket
            // (Microsoft.Extensions.AI's embedding instrumentation records input only, too).
            if (tokens.Output != 0 || record.Operation != UsageOperation.Embeddings)
            {
                var output = tags;
                output.Add(TokenAccountingDiagnostics.TokenTypeAttribute, "output");
                instruments.TokenUsage.Record(tokens.Output, output);
            }
        }

        if (instruments.Tokens.Enabled)
        {
            AddTokens(instruments.Tokens, tags, "input", tokens.Input);
            AddTokens(instruments.Tokens, tags, "output", tokens.Output);
            AddTokens(instruments.Tokens, tags, "cache_read", tokens.CachedInput);
            AddTokens(instruments.Tokens, tags, "cache_creation", tokens.CacheWriteInput);
            AddTokens(instruments.Tokens, tags, "reasoning", tokens.Reasoning);
            AddTokens(instruments.Tokens, tags, "input_audio", tokens.InputAudio);
            AddTokens(instruments.Tokens, tags, "cache_read_audio", tokens.CachedInputAudio);
            AddTokens(instruments.Tokens, tags, "output_audio", tokens.OutputAudio);
        }

        if (record.Cost is { } cost)
        {
            if (instruments.Cost.Enabled)
            {
                instruments.Cost.Add((double)cost.Total, tags);
            }
        }
        else if (_countUnpriced && instruments.Unpriced.Enabled)
        {
            instruments.Unpriced.Add(1, tags);
        }
    }

    public void RecordsDropped(string sink, string reason, long count) =>
        _instruments.Dropped.Add(count, new KeyValuePair<string, object?>(TokenAccountingDiagnostics.SinkAttribute, sink), new KeyValuePair<string, object?>(TokenAccountingDiagnostics.ReasonAttribute, reason));

    public void RecordsQuarantined(string sink, string kind, long count) =>
        _instruments.Quarantined.Add(count, new KeyValuePair<string, object?>(TokenAccountingDiagnostics.SinkAttribute, sink), new KeyValuePair<string, object?>("tokenaccounting.kind", kind));

    public void SinkFailure(string sink, string errorType) =>
        _instruments.SinkFailures.Add(1, new KeyValuePair<string, object?>(TokenAccountingDiagnostics.SinkAttribute, sink), new KeyValuePair<string, object?>("error.type", errorType));

    public void FlushDuration(string sink, TimeSpan duration, bool succeeded) =>
        _instruments.FlushDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>(TokenAccountingDiagnostics.SinkAttribute, sink), new KeyValuePair<string, object?>("tokenaccounting.outcome", succeeded ? "success" : "failure"));

    /// <summary>Counts the denials of <paramref name="budgets"/> in <c>tokenaccounting.budget.denials</c>.</summary>
    public void Observe(BudgetManager budgets) => budgets.Denied += BudgetDenied;

    public void BudgetDenied(string policy) =>
        _instruments.BudgetDenials.Add(1, new KeyValuePair<string, object?>("tokenaccounting.budget.policy", policy));

    private static void AddTokens(Counter<long> counter, TagList tags, string type, long value)
    {
        if (value == 0)
        {
            return;
        }

        tags.Add(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, type);
        counter.Add(value, tags);
    }

    private sealed class Instruments
    {
        public Instruments(Meter meter)
        {
            TokenUsage = meter.CreateHistogram<long>(
                TokenAccountingDiagnostics.TokenUsageInstrument,
                unit: "{token}",
                description: "Number of input and output tokens used.",
                tags: null,
                advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
            Tokens = meter.CreateCounter<long>(TokenAccountingDiagnostics.TokensInstrument, "{token}", "Tokens used, by type: input, output, cache_read, cache_creation, reasoning, input_audio, cache_read_audio, output_audio.");
            Cost = meter.CreateCounter<double>(TokenAccountingDiagnostics.CostInstrument, "{USD}", "Cost of priced calls in US dollars.");
            Unpriced = meter.CreateCounter<long>(TokenAccountingDiagnostics.UnpricedRecordsInstrument, "{record}", "Records whose model has no price in the catalog.");
            Dropped = meter.CreateCounter<long>(TokenAccountingDiagnostics.RecordsDroppedInstrument, "{record}", "Detail records dropped under memory pressure (rollups stay exact).");
            Quarantined = meter.CreateCounter<long>(TokenAccountingDiagnostics.RecordsQuarantinedInstrument, "{record}", "Records and rollup deltas a sink could never write, isolated and set aside.");
            SinkFailures = meter.CreateCounter<long>(TokenAccountingDiagnostics.SinkFailuresInstrument, "{failure}", "Sink writes that threw or timed out.");
            FlushDuration = meter.CreateHistogram<double>(
                TokenAccountingDiagnostics.SinkFlushDurationInstrument,
                unit: "s",
                description: "Duration of sink writes.",
                tags: null,
                advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
            BudgetDenials = meter.CreateCounter<long>(TokenAccountingDiagnostics.BudgetDenialsInstrument, "{denial}", "Budget reservations refused.");
            meter.CreateObservableGauge(TokenAccountingDiagnostics.BufferedRecordsInstrument, ObserveBuffered, "{record}", "Detail records buffered for delivery to sinks.");
        }

        public ConcurrentDictionary<UsageRecorder, byte> Recorders { get; } = new();

        public Histogram<long> TokenUsage { get; }

        public Counter<long> Tokens { get; }

        public Counter<double> Cost { get; }

        public Counter<long> Unpriced { get; }

        public Counter<long> Dropped { get; }

        public Counter<long> SinkFailures { get; }

        public Counter<long> Quarantined { get; }

        public Histogram<double> FlushDuration { get; }

        public Counter<long> BudgetDenials { get; }

        private long ObserveBuffered()
        {
            long sum = 0;
            foreach (var recorder in Recorders.Keys)
            {
                sum += recorder.SumBufferedRecords();
            }

            return sum;
        }
    }
}
