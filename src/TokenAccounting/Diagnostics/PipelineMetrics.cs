using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace TokenAccounting;

/// <summary>
/// The library's instruments. The two <c>gen_ai.client.token.usage</c> samples of a record are recorded on the caller's
/// thread when <c>Record()</c> accepts it (<see cref="RecordSamples"/>, as Microsoft.Extensions.AI's
/// <c>UseOpenTelemetry()</c> records them on the call's); everything else on the aggregator and sink workers. Created
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

    private const int MaxCachedAttributeSets = 4096;

    // The caller's thread: the sample tags of the last record this thread sampled (any recorder's: Owner says whose).
    [ThreadStatic]
    private static SampleTags? t_lastSamples;

    private readonly Instruments _instruments;
    private readonly bool _includeUsers;
    private readonly bool _countUnpriced;

    // Aggregator only (OnRecord and OnChunkEnd run on its thread, never concurrently).
    private readonly Dictionary<AttributeKey, AttributeSet> _sets = [];
    private readonly List<AttributeSet> _pending = [];
    private AttributeSet? _last;

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

    /// <summary>Gets whether anything listens to <c>gen_ai.client.token.usage</c> (one field read: the caller checks it first).</summary>
    public bool SamplesEnabled => _instruments.TokenUsage.Enabled;

    /// <summary>
    /// On the caller's thread, once <c>Record()</c> has accepted the record: its two <c>gen_ai.client.token.usage</c>
    /// samples (the histogram keeps one sample per record and token type), with the attributes the aggregator's
    /// counters carry (user and tenant, when included, inherited from <paramref name="scope"/> as the aggregator's
    /// enrichment inherits them). Recorded here rather than by the aggregator because a listening SDK's lookup per
    /// sample is most of the aggregator's per-record work: with it there, a caller doing little else per call outran
    /// the aggregator, records queued by the ten thousand, and every gen0 collection promoted them (the whole-cost
    /// runs in BENCHMARKS.md). Thread-safe: the tag arrays are cached per attribute set in a concurrent dictionary
    /// shared by the recorders of one meter, and the last one per thread is compared by reference.
    /// </summary>
    public void RecordSamples(UsageRecord record, UsageScope? scope)
    {
        var histogram = _instruments.TokenUsage;
        if (!histogram.Enabled)
        {
            return;
        }

        var tags = SampleTagsFor(record, scope);
        var tokens = record.Tokens;
        histogram.Record(tokens.Input, tags.Input);

        // Embeddings produce no output tokens: a 0 "output" sample per call would only pile up in the first bucket
        // (Microsoft.Extensions.AI's embedding instrumentation records input only, too).
        if (tokens.Output != 0 || record.Operation != UsageOperation.Embeddings)
        {
            histogram.Record(tokens.Output, tags.Output);
        }
    }

    /// <summary>
    /// Per record on the aggregator: nothing. The histogram samples were recorded by <see cref="RecordSamples"/> on
    /// the caller's thread; the counters (tokens by type, cost, unpriced) are published per chunk by
    /// <see cref="PublishChunk"/> from the rollup sums, which the aggregator keeps anyway.
    /// </summary>
    public void OnRecord(UsageRecord record)
    {
    }

    /// <summary>
    /// Publishes the counters of a drained chunk from its rollup sums (<see cref="ChunkRollups"/>: tokens and cost summed
    /// per key, response model and operation spelling): summed per attribute set, then one measurement per attribute
    /// set and token type, one for the cost, one for the unpriced records.
    /// </summary>
    public void PublishChunk(ChunkRollups rollups)
    {
        var instruments = _instruments;
        var tokensOn = instruments.Tokens.Enabled;
        var costOn = instruments.Cost.Enabled;
        var unpricedOn = _countUnpriced && instruments.Unpriced.Enabled;
        if (!tokensOn && !costOn && !unpricedOn)
        {
            return;
        }

        try
        {
            var cells = rollups.Cells;
            for (var i = 0; i < cells.Count; i++)
            {
                var (key, cell) = cells[i];
                var set = AttributeSetFor(key.Operation.Value, key.Provider, key.Model, rollups.ResponseModelOf(i), key.UserId, key.TenantId);
                if (!set.Pending)
                {
                    set.Pending = true;
                    _pending.Add(set);
                }

                if (tokensOn)
                {
                    var tokens = cell.Tokens;
                    set.Input = SaturatingArithmetic.Add(set.Input, tokens.Input);
                    set.Output = SaturatingArithmetic.Add(set.Output, tokens.Output);
                    set.CacheRead = SaturatingArithmetic.Add(set.CacheRead, tokens.CachedInput);
                    set.CacheCreation = SaturatingArithmetic.Add(set.CacheCreation, tokens.CacheWriteInput);
                    set.Reasoning = SaturatingArithmetic.Add(set.Reasoning, tokens.Reasoning);
                    set.InputAudio = SaturatingArithmetic.Add(set.InputAudio, tokens.InputAudio);
                    set.CachedInputAudio = SaturatingArithmetic.Add(set.CachedInputAudio, tokens.CachedInputAudio);
                    set.OutputAudio = SaturatingArithmetic.Add(set.OutputAudio, tokens.OutputAudio);
                }

                if (costOn && cell.Priced)
                {
                    set.AddCost(cell.CostTotal);
                }

                set.Unpriced = SaturatingArithmetic.Add(set.Unpriced, cell.Unpriced);
            }

            foreach (var set in _pending)
            {
                if (tokensOn)
                {
                    AddTokens(instruments.Tokens, set.Input, set.InputCounter);
                    AddTokens(instruments.Tokens, set.Output, set.OutputCounter);
                    AddTokens(instruments.Tokens, set.CacheRead, set.CacheReadCounter);
                    AddTokens(instruments.Tokens, set.CacheCreation, set.CacheCreationCounter);
                    AddTokens(instruments.Tokens, set.Reasoning, set.ReasoningCounter);
                    AddTokens(instruments.Tokens, set.InputAudio, set.InputAudioCounter);
                    AddTokens(instruments.Tokens, set.CachedInputAudio, set.CachedInputAudioCounter);
                    AddTokens(instruments.Tokens, set.OutputAudio, set.OutputAudioCounter);
                }

                if (set.Priced && costOn)
                {
                    instruments.Cost.Add((double)set.Cost, set.Base);
                }

                if (set.Unpriced > 0 && unpricedOn)
                {
                    instruments.Unpriced.Add(set.Unpriced, set.Base);
                }
            }
        }
        finally
        {
            foreach (var set in _pending)
            {
                set.Reset();
            }

            _pending.Clear();

            // Attribute sets are bounded by models × providers (× users and tenants when they are dimensions): cap the
            // cache so a stream of distinct values cannot grow it without end.
            if (_sets.Count > MaxCachedAttributeSets)
            {
                _sets.Clear();
                _last = null;
            }
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

    private static void AddTokens(Counter<long> counter, long value, KeyValuePair<string, object?>[] tags)
    {
        if (value != 0)
        {
            counter.Add(value, tags);
        }
    }

    private SampleTags SampleTagsFor(UsageRecord record, UsageScope? scope)
    {
        var operation = record.Operation.Value;
        var provider = record.Provider ?? "unknown";
        var model = record.Model;
        var responseModel = record.ResponseModel;
        string? user = null;
        string? tenant = null;
        if (_includeUsers)
        {
            user = record.UserId ?? scope?.EffectiveUserId ?? string.Empty;
            tenant = record.TenantId ?? scope?.EffectiveTenantId ?? string.Empty;
        }

        // Consecutive records of a thread mostly carry the very same strings: compared by reference, no hashing.
        var last = t_lastSamples;
        if (last is not null && ReferenceEquals(last.Owner, _instruments) && last.Key.IsSame(operation, provider, model, responseModel, user, tenant))
        {
            return last;
        }

        var key = new AttributeKey(operation, provider, model, responseModel, user, tenant);
        var samples = _instruments.Samples;
        if (!samples.TryGetValue(key, out var tags))
        {
            if (samples.Count >= MaxCachedAttributeSets)
            {
                // Bounded like the aggregator's sets: a flood of distinct models does not grow it without end.
                samples.Clear();
            }

            tags = samples.GetOrAdd(key, static (k, owner) => new SampleTags(owner, k), _instruments);
        }

        t_lastSamples = tags;
        return tags;
    }

    private AttributeSet AttributeSetFor(string operation, string? provider, string model, string? responseModel, string? userId, string? tenantId)
    {
        provider ??= "unknown";
        string? user = null;
        string? tenant = null;
        if (_includeUsers)
        {
            user = userId ?? string.Empty;
            tenant = tenantId ?? string.Empty;
        }

        // Consecutive records mostly carry the very same strings: compared by reference, no hashing.
        var last = _last;
        if (last is not null && last.Key.IsSame(operation, provider, model, responseModel, user, tenant))
        {
            return last;
        }

        var key = new AttributeKey(operation, provider, model, responseModel, user, tenant);
        if (!_sets.TryGetValue(key, out var set))
        {
            set = new AttributeSet(key);
            _sets.Add(key, set);
        }

        _last = set;
        return set;
    }

    private readonly record struct AttributeKey(string Operation, string Provider, string Model, string? ResponseModel, string? User, string? Tenant)
    {
        /// <summary>Whether this key holds these very string instances (a reference check per field: no hashing, no comparing of characters).</summary>
        public bool IsSame(string operation, string provider, string model, string? responseModel, string? user, string? tenant) =>
            ReferenceEquals(Model, model) && ReferenceEquals(Provider, provider) && ReferenceEquals(Operation, operation)
            && ReferenceEquals(ResponseModel, responseModel) && ReferenceEquals(User, user) && ReferenceEquals(Tenant, tenant);

        /// <summary>The attributes in a fixed order (an SDK's lookup by the given order then hits): operation, provider, model, response model, user, tenant.</summary>
        public List<KeyValuePair<string, object?>> Attributes()
        {
            var tags = new List<KeyValuePair<string, object?>>(7)
            {
                new("gen_ai.operation.name", Operation),
                new("gen_ai.provider.name", Provider),
                new("gen_ai.request.model", Model),
            };
            if (ResponseModel is { } responseModel)
            {
                tags.Add(new("gen_ai.response.model", responseModel));
            }

            if (User is not null)
            {
                tags.Add(new(TokenAccountingDiagnostics.UserAttribute, User));
                tags.Add(new(TokenAccountingDiagnostics.TenantAttribute, Tenant));
            }

            return tags;
        }
    }

    /// <summary>One attribute set's two sample tag arrays (input and output token type), immutable once built.</summary>
    private sealed class SampleTags
    {
        public SampleTags(Instruments owner, AttributeKey key)
        {
            Owner = owner;
            Key = key;
            var tags = key.Attributes();
            tags.Add(new(TokenAccountingDiagnostics.TokenTypeAttribute, "input"));
            Input = [.. tags];
            tags[^1] = new(TokenAccountingDiagnostics.TokenTypeAttribute, "output");
            Output = [.. tags];
        }

        public Instruments Owner { get; }

        public AttributeKey Key { get; }

        public KeyValuePair<string, object?>[] Input { get; }

        public KeyValuePair<string, object?>[] Output { get; }
    }

    /// <summary>
    /// One attribute set's tag arrays, built once (the order is fixed, so an SDK's lookup by the given order hits), and
    /// its counter sums for the chunk in progress.
    /// </summary>
    private sealed class AttributeSet
    {
        public AttributeSet(AttributeKey key)
        {
            Key = key;
            Base = [.. key.Attributes()];
            InputCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "input");
            OutputCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "output");
            CacheReadCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "cache_read");
            CacheCreationCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "cache_creation");
            ReasoningCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "reasoning");
            InputAudioCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "input_audio");
            CachedInputAudioCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "cache_read_audio");
            OutputAudioCounter = With(TokenAccountingDiagnostics.DetailedTokenTypeAttribute, "output_audio");
        }

        public AttributeKey Key { get; }

        public KeyValuePair<string, object?>[] Base { get; }

        public KeyValuePair<string, object?>[] InputCounter { get; }

        public KeyValuePair<string, object?>[] OutputCounter { get; }

        public KeyValuePair<string, object?>[] CacheReadCounter { get; }

        public KeyValuePair<string, object?>[] CacheCreationCounter { get; }

        public KeyValuePair<string, object?>[] ReasoningCounter { get; }

        public KeyValuePair<string, object?>[] InputAudioCounter { get; }

        public KeyValuePair<string, object?>[] CachedInputAudioCounter { get; }

        public KeyValuePair<string, object?>[] OutputAudioCounter { get; }

        public bool Pending { get; set; }

        // Sums of the chunk in progress; they saturate like every other sum (a hostile chunk cannot wrap them).
        public long Input { get; set; }

        public long Output { get; set; }

        public long CacheRead { get; set; }

        public long CacheCreation { get; set; }

        public long Reasoning { get; set; }

        public long InputAudio { get; set; }

        public long CachedInputAudio { get; set; }

        public long OutputAudio { get; set; }

        public long Unpriced { get; set; }

        public bool Priced { get; private set; }

        public decimal Cost { get; private set; }

        public void AddCost(decimal total)
        {
            Priced = true;
            Cost = SaturatingArithmetic.Add(Cost, total);
        }

        public void Reset()
        {
            Pending = false;
            Input = Output = CacheRead = CacheCreation = Reasoning = InputAudio = CachedInputAudio = OutputAudio = Unpriced = 0;
            Priced = false;
            Cost = 0m;
        }

        private KeyValuePair<string, object?>[] With(string key, string value) => [.. Base, new(key, value)];
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

        /// <summary>The sample tags per attribute set, for every caller thread of every recorder on this meter.</summary>
        public ConcurrentDictionary<AttributeKey, SampleTags> Samples { get; } = new();

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
