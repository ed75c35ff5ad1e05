using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Price lookup plus cost computation as the pipeline does it per record (target ≤ 60 ns, no allocation beyond the
/// <see cref="UsageCost"/>), on the built-in catalog of more than 1,000 models. The baseline is the least a pricer
/// can do: an exact-name dictionary probe and the same cost arithmetic, without normalization, providers, match
/// rules, effective dates or service tiers. Two breakdown rows price the same counts without a lookup: once through
/// <see cref="ModelPrice.Cost(TokenCounts, string?)"/> and once with plain <see cref="decimal"/> multiplies into an
/// object of all eleven parts (the arithmetic before issue 15 item 7), so their ratio holds under a loaded machine.
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

    /// <summary>Breakdown: the cost arithmetic and the <see cref="UsageCost"/> alone, with the price already in hand.</summary>
    [Benchmark]
    public UsageCost Cost_HeldPrice() => _heldPrice.Cost(_exactRecord.Tokens);

    /// <summary>Breakdown peer: the same counts with plain decimal multiplies into an object of all eleven parts (192 B).</summary>
    [Benchmark]
    public object PlainDecimalCost_HeldPrice() => _plainRates.Cost(_exactRecord.Tokens);

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
