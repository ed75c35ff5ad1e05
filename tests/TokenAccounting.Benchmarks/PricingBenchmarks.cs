using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Price lookup plus cost computation as the pipeline does it per record (target ≤ 60 ns, no allocation beyond the
/// <see cref="UsageCost"/>). The baseline is the least a pricer can do: an exact-name dictionary probe and the same
/// cost arithmetic, without normalization, providers, effective dates or service tiers.
/// </summary>
[MemoryDiagnoser]
public class PricingBenchmarks
{
    private static readonly DateTimeOffset CompletedAt = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private PriceCatalog _catalog = null!;
    private Dictionary<string, ModelPrice> _exact = null!;
    private UsageRecord _exactRecord = null!;
    private UsageRecord _snapshotRecord = null!;
    private UsageRecord _batchRecord = null!;
    private UsageRecord _longContextRecord = null!;
    private UsageRecord _unknownRecord = null!;

    [GlobalSetup]
    public void Setup()
    {
        _catalog = PriceCatalog.Create(PriceCatalog.BuiltIn.Prices, PriceCatalog.BuiltIn.AsOf);
        _exact = _catalog.Prices.GroupBy(p => p.Model).ToDictionary(g => g.Key, g => g.Last());
        var tokens = TokenCounts.FromOpenAI(promptTokens: 12_000, completionTokens: 900, cachedTokens: 8_000, reasoningTokens: 300);
        _exactRecord = new UsageRecord { Provider = "openai", Model = "gpt-4o", CompletedAt = CompletedAt, Tokens = tokens };
        _snapshotRecord = _exactRecord with { Model = "gpt-4o-2024-08-06" };
        _batchRecord = _exactRecord with { ServiceTier = "batch" };
        _longContextRecord = new UsageRecord { Provider = "gcp.gemini", Model = "gemini-2.5-pro", CompletedAt = CompletedAt, Tokens = TokenCounts.FromGemini(250_000, 1_000, 50_000, 2_000) };
        _unknownRecord = _exactRecord with { Model = "gpt-imaginary" };

        // Warm the normalization cache the way the first records of a run would.
        _ = UsagePricing.Price(_catalog, _snapshotRecord);
        _ = UsagePricing.Price(_catalog, _unknownRecord);
    }

    [Benchmark(Baseline = true)]
    public UsageCost? ExactDictionaryBaseline() =>
        _exact.TryGetValue(_exactRecord.Model, out var price) ? price.Cost(_exactRecord.Tokens) : null;

    [Benchmark]
    public UsageCost? Price_ExactName() => UsagePricing.Price(_catalog, _exactRecord);

    [Benchmark]
    public UsageCost? Price_DatedSnapshot() => UsagePricing.Price(_catalog, _snapshotRecord);

    [Benchmark]
    public UsageCost? Price_BatchTier() => UsagePricing.Price(_catalog, _batchRecord);

    [Benchmark]
    public UsageCost? Price_LongContextTier() => UsagePricing.Price(_catalog, _longContextRecord);

    [Benchmark]
    public UsageCost? Price_UnknownModel() => UsagePricing.Price(_catalog, _unknownRecord, diagnostics: null);
}
