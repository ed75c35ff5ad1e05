using BenchmarkDotNet.Running;
using TokenAccounting.Benchmarks;

// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- catalog-memory   (load time and retained memory of the built-in catalog)
if (args is ["catalog-memory"])
{
    CatalogLoadBenchmarks.Report(Console.Out);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
