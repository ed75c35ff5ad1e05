using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// What the built-in catalog costs to load: parsing the embedded genai-prices data and the curated overlay, merging
/// them and indexing the result (once per process, on first use of <see cref="PriceCatalog.BuiltIn"/>). Allocated
/// bytes come from the memory diagnoser; the memory the catalog keeps is printed by <see cref="Report"/>
/// (<c>dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- catalog-memory</c>).
/// </summary>
[MemoryDiagnoser]
public class CatalogLoadBenchmarks
{
    [Benchmark(Baseline = true)]
    public int ParseGenAiPricesData() => BuiltInPrices.LoadGenerated().Prices.Count;

    [Benchmark]
    public int LoadBuiltInCatalog() => BuiltInPrices.Load().Prices.Count;

    /// <summary>Loads the catalog once and prints the time taken and the managed memory it keeps alive.</summary>
    public static void Report(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var catalog = BuiltInPrices.Load();
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        output.WriteLine($"built-in catalog: {catalog.Prices.Count:N0} prices, {catalog.Prices.Select(p => (p.Provider, p.Model)).Distinct().Count():N0} models, {catalog.Providers.Count} provider rules");
        output.WriteLine($"first load (cold, includes JIT): {elapsed.TotalMilliseconds:N1} ms; retained: {(after - before) / 1024.0:N0} KiB");
        GC.KeepAlive(catalog);
    }
}
