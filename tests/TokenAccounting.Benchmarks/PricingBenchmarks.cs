using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Price lookup plus cost computation as the pipeline does it per record (target ≤ 60 ns, no allocation beyond the
/// <see cref="UsageCost"/>), on the built-in catalog of more than 1,000 models. The baseline is the least a pricer
/// can do: an exact-name dictionary probe and the same cost arithmetic, without normalization, providers, match
/// rules, effective dates or service tiers. Two breakdown rows price the same counts without a lookup: once through
/// <see cref="ModelPrice.Cost(TokenCounts, string?)"/> and once with plain <see cref="decimal"/> multiplies into an
/// object of all eleven parts (the arithmetic before issue 15 item 7), so their ratio holds under a loaded machine.
/// The single-name rows price the same record again and again; the rotating rows price 64 or 256 different models
/// of the catalog in turn (exact names, dated snapshots, provider-prefixed names, and the match-rule, Bedrock and
/// Vertex cases), once with the same string instances each time (names from configuration or constants) and once
/// with a new instance of the name on every call (names read from each response), so no row is only a hit on one
/// cached entry.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class PricingBenchmarks
{
    private static readonly DateTimeOffset CompletedAt = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private PriceCatalog _catalog = null!;
    private Dictionary<string, ModelPrice> _exact = null!;
    private UsageRecord _exactRecord = null!;
    private UsageRecord _snapshotRecord = null!;
    private UsageRecord _matchRuleRecord = null!;
    private UsageRecord _bedrockRecord = null!;
    private UsageRecord _windowRecord = null!;
    private UsageRecord _batchRecord = null!;
    private UsageRecord _longContextRecord = null!;
    private UsageRecord _unknownRecord = null!;
    private UsageRecord _audioAndToolsRecord = null!;
    private ModelPrice _heldPrice = null!;
    private UsageRecord[] _rotating64 = null!;
    private UsageRecord[] _rotating256 = null!;
    private UsageRecord[] _rotating256Fresh = null!;
    private int _next;
    private PlainRates _plainRates;

    [GlobalSetup]
    public void Setup()
    {
        _catalog = PriceCatalog.Create(PriceCatalog.BuiltIn.Prices, PriceCatalog.BuiltIn.AsOf, PriceCatalog.BuiltIn.Providers);
        if (_catalog.Prices.Count < 1_000)
        {
            throw new InvalidOperationException($"The built-in catalog holds {_catalog.Prices.Count} prices; these benchmarks are meant for ≥ 1,000.");
        }

        _exact = _catalog.Prices.GroupBy(p => p.Model).ToDictionary(g => g.Key, g => g.Last());
        var tokens = TokenCounts.FromOpenAI(promptTokens: 12_000, completionTokens: 900, cachedTokens: 8_000, reasoningTokens: 300);
        _exactRecord = new UsageRecord { Provider = "openai", Model = "gpt-4o", CompletedAt = CompletedAt, Tokens = tokens };
        _snapshotRecord = _exactRecord with { Model = "gpt-4o-2024-08-06" };

        // Found only by genai-prices' starts_with rule (no entry is named so).
        _matchRuleRecord = _exactRecord with { Provider = "anthropic", Model = "claude-sonnet-4.5-20250929" };
        _bedrockRecord = _exactRecord with { Provider = "aws.bedrock", Model = "us.anthropic.claude-sonnet-4-20250514-v1:0" };

        // A price with a time-of-day window (DeepSeek's former off-peak hours), at a time inside it.
        _windowRecord = _exactRecord with { Provider = "deepseek", Model = "deepseek-chat", CompletedAt = new DateTimeOffset(2025, 6, 1, 18, 0, 0, TimeSpan.Zero) };
        _batchRecord = _exactRecord with { ServiceTier = "batch" };
        _longContextRecord = new UsageRecord { Provider = "gcp.gemini", Model = "gemini-2.5-pro", CompletedAt = CompletedAt, Tokens = TokenCounts.FromGemini(250_000, 1_000, 50_000, 2_000) };
        _unknownRecord = _exactRecord with { Model = "gpt-imaginary" };

        // Audio parts priced at their own rates plus web searches billed per call (issue 15 §4).
        _audioAndToolsRecord = new UsageRecord
        {
            Provider = "anthropic",
            Model = "claude-sonnet-4-5",
            CompletedAt = CompletedAt,
            Tokens = new TokenCounts(12_000, 900, 8_000, 0, 0, 0, inputAudio: 2_000, cachedInputAudio: 0, outputAudio: 100),
            ServerToolCalls = new Dictionary<string, long> { ["web_search"] = 3 },
        };

        // Warm the lookup cache the way the first records of a run would, and check each case finds what it should.
        foreach (var record in new[] { _exactRecord, _snapshotRecord, _matchRuleRecord, _bedrockRecord, _windowRecord, _longContextRecord, _audioAndToolsRecord })
        {
            _ = UsagePricing.Price(_catalog, record) ?? throw new InvalidOperationException($"{record.Provider}/{record.Model} is not priced.");
        }

        _ = UsagePricing.Price(_catalog, _unknownRecord);
        _rotating256 = RotatingRecords(256);
        _rotating64 = _rotating256[..64];

        // 64 instances of each of the 256 names: a name's instance comes round again only after 16,384 calls.
        _rotating256Fresh = new UsageRecord[256 * 64];
        for (var i = 0; i < _rotating256Fresh.Length; i++)
        {
            var record = _rotating256[i % 256];
            _rotating256Fresh[i] = record with { Model = new string(record.Model.AsSpan()), Provider = record.Provider is null ? null : new string(record.Provider.AsSpan()) };
        }

        foreach (var record in _rotating256Fresh)
        {
            _ = UsagePricing.Price(_catalog, record) ?? throw new InvalidOperationException($"{record.Provider}/{record.Model} is not priced.");
        }
        _heldPrice = _catalog.FindPrice(_exactRecord.Provider, _exactRecord.Model, CompletedAt) ?? throw new InvalidOperationException("gpt-4o is not priced.");
        _plainRates = new PlainRates(_heldPrice);
        if (Cost_HeldPrice().Total != _plainRates.Cost(_exactRecord.Tokens).Total)
        {
            throw new InvalidOperationException("The plain-decimal breakdown row prices differently from ModelPrice.Cost.");
        }
    }

    [Benchmark(Baseline = true)]
    public UsageCost? ExactDictionaryBaseline() =>
        _exact.TryGetValue(_exactRecord.Model, out var price) ? price.Cost(_exactRecord.Tokens) : null;

    [Benchmark]
    public UsageCost? Price_ExactName() => UsagePricing.Price(_catalog, _exactRecord);

    [Benchmark]
    public UsageCost? Price_DatedSnapshot() => UsagePricing.Price(_catalog, _snapshotRecord);

    [Benchmark]
    public UsageCost? Price_MatchRuleName() => UsagePricing.Price(_catalog, _matchRuleRecord);

    [Benchmark]
    public UsageCost? Price_BedrockId() => UsagePricing.Price(_catalog, _bedrockRecord);

    [Benchmark]
    public UsageCost? Price_TimeOfDayWindow() => UsagePricing.Price(_catalog, _windowRecord);

    [Benchmark]
    public UsageCost? Price_BatchTier() => UsagePricing.Price(_catalog, _batchRecord);

    [Benchmark]
    public UsageCost? Price_LongContextTier() => UsagePricing.Price(_catalog, _longContextRecord);

    [Benchmark]
    public UsageCost? Price_AudioAndWebSearch() => UsagePricing.Price(_catalog, _audioAndToolsRecord);

    [Benchmark]
    public UsageCost? Price_UnknownModel() => UsagePricing.Price(_catalog, _unknownRecord, diagnostics: null);

    /// <summary>64 different models in turn, the same string instances each time.</summary>
    [Benchmark]
    public UsageCost? Price_Rotating64Models() => UsagePricing.Price(_catalog, _rotating64[_next++ & 63]);

    /// <summary>256 different models in turn, the same string instances each time.</summary>
    [Benchmark]
    public UsageCost? Price_Rotating256Models() => UsagePricing.Price(_catalog, _rotating256[_next++ & 255]);

    /// <summary>256 different models in turn, a new instance of the model and provider names on every call.</summary>
    [Benchmark]
    public UsageCost? Price_Rotating256Models_FreshStrings() => UsagePricing.Price(_catalog, _rotating256Fresh[_next++ & (_rotating256Fresh.Length - 1)]);

    /// <summary>Breakdown: the cost arithmetic and the <see cref="UsageCost"/> alone, with the price already in hand.</summary>
    [Benchmark]
    public UsageCost Cost_HeldPrice() => _heldPrice.Cost(_exactRecord.Tokens);

    /// <summary>Breakdown peer: the same counts with plain decimal multiplies into an object of all eleven parts (192 B).</summary>
    [Benchmark]
    public object PlainDecimalCost_HeldPrice() => _plainRates.Cost(_exactRecord.Tokens);

    /// <summary>
    /// Records of <paramref name="count"/> different priced models, spread over the catalog: three in four by a
    /// name as listed, dated (<c>-20250101</c>) or prefixed with the provider (<c>openai/gpt-4o</c>), and the
    /// single-name rows' match-rule, Bedrock, Vertex and dated cases among them.
    /// </summary>
    private UsageRecord[] RotatingRecords(int count)
    {
        var template = _exactRecord;
        var records = new List<UsageRecord>
        {
            _matchRuleRecord,
            _bedrockRecord,
            _snapshotRecord,
            template with { Provider = "gcp.vertex", Model = "claude-sonnet-4@20250514" },
            template with { Provider = "aws.bedrock", Model = "eu.anthropic.claude-3-5-haiku-20241022-v1:0" },
        };
        var seen = new HashSet<string>(records.Select(r => r.Model), StringComparer.OrdinalIgnoreCase);
        var models = _catalog.Prices.Where(p => p.Provider is not null).GroupBy(p => p.Model, StringComparer.OrdinalIgnoreCase).Select(g => g.First()).ToArray();
        var step = Math.Max(1, models.Length / count);
        for (var i = 0; records.Count < count && i < models.Length * step; i++)
        {
            var price = models[(i * step + (i / models.Length)) % models.Length];
            var name = (i % 4) switch
            {
                1 => price.Model + "-20250101",
                2 => price.Provider + "/" + price.Model,
                _ => price.Model,
            };
            var record = template with { Provider = price.Provider, Model = name };
            if (seen.Add(name) && UsagePricing.Price(_catalog, record) is not null)
            {
                records.Add(record);
            }
        }

        if (records.Count < count)
        {
            throw new InvalidOperationException($"Only {records.Count} rotating models are priced; {count} are needed.");
        }

        return [.. records];
    }

    private readonly struct PlainRates(ModelPrice price)
    {
        private readonly decimal _input = price.Input / 1_000_000m;
        private readonly decimal _cached = (price.CachedInput ?? price.Input) / 1_000_000m;
        private readonly decimal _write = (price.CacheWrite ?? price.Input) / 1_000_000m;
        private readonly decimal _longTtl = (price.CacheWriteLongTtl ?? price.CacheWrite ?? price.Input) / 1_000_000m;
        private readonly decimal _output = price.Output / 1_000_000m;
        private readonly decimal _reasoning = (price.Reasoning ?? price.Output) / 1_000_000m;
        private readonly decimal _audioIn = (price.InputAudio ?? price.Input) / 1_000_000m;
        private readonly decimal _audioCached = (price.CachedInputAudio ?? price.CachedInput ?? price.InputAudio ?? price.Input) / 1_000_000m;
        private readonly decimal _audioOut = (price.OutputAudio ?? price.Output) / 1_000_000m;

        public ElevenParts Cost(in TokenCounts t)
        {
            var cachedAudio = Math.Max(0, Math.Min(t.CachedInputAudio, Math.Min(t.CachedInput, t.InputAudio)));
            var uncachedAudio = Math.Max(0, t.InputAudio - cachedAudio);
            var outputAudio = Math.Max(0, t.OutputAudio);
            var uncached = Math.Max(0, t.Input - t.CachedInput - t.CacheWriteInput - uncachedAudio);
            var longTtl = Math.Max(0, t.CacheWriteLongTtlInput);
            var shortTtl = Math.Max(0, t.CacheWriteInput - longTtl);
            var plainOutput = Math.Max(0, t.Output - t.Reasoning - outputAudio);
            var reasoning = Math.Max(0, t.Reasoning);
            var cached = Math.Max(0, t.CachedInput - cachedAudio);
            var longTtlCost = longTtl == 0 ? 0m : longTtl * _longTtl;
            return new ElevenParts(
                uncached == 0 ? 0m : uncached * _input,
                cached == 0 ? 0m : cached * _cached,
                (shortTtl == 0 ? 0m : shortTtl * _write) + longTtlCost,
                plainOutput == 0 ? 0m : plainOutput * _output,
                reasoning == 0 ? 0m : reasoning * _reasoning,
                longTtlCost,
                uncachedAudio == 0 ? 0m : uncachedAudio * _audioIn,
                cachedAudio == 0 ? 0m : cachedAudio * _audioCached,
                outputAudio == 0 ? 0m : outputAudio * _audioOut,
                0m,
                0m);
        }
    }

    private sealed class ElevenParts(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, decimal cacheWriteLongTtl, decimal inputAudio, decimal cachedInputAudio, decimal outputAudio, decimal requests, decimal serverToolCalls)
    {
        public decimal Input { get; } = input;

        public decimal CachedInput { get; } = cachedInput;

        public decimal CacheWrite { get; } = cacheWrite;

        public decimal Output { get; } = output;

        public decimal Reasoning { get; } = reasoning;

        public decimal CacheWriteLongTtl { get; } = cacheWriteLongTtl;

        public decimal InputAudio { get; } = inputAudio;

        public decimal CachedInputAudio { get; } = cachedInputAudio;

        public decimal OutputAudio { get; } = outputAudio;

        public decimal Requests { get; } = requests;

        public decimal ServerToolCalls { get; } = serverToolCalls;

        public decimal Total => Input + CachedInput + CacheWrite + Output + Reasoning + InputAudio + CachedInputAudio + OutputAudio + Requests + ServerToolCalls;
    }
}
