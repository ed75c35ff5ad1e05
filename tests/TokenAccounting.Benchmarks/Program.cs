using BenchmarkDotNet.Running;
using TokenAccounting.Benchmarks;

// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- report-harness [records]   (one timed report per ledger kind)
if (args.Length > 0 && args[0] == "report-harness")
{
    return await ReportHarness.RunAsync(args);
}

// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- jsonl-report-harness [records,...]   (report over a JSON-lines ledger: passes, peak heap)
if (args.Length > 0 && args[0] == "jsonl-report-harness")
{
    return await JsonLinesReportHarness.RunAsync(args);
}

// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- whole-cost [operations] [repetitions] [scenario,...]
//   (process CPU incl. background threads, bytes and GCs per operation, until delivered; see WholeCostHarness)
if (args.Length > 0 && args[0] == "whole-cost")
{
    return await WholeCostHarness.RunAsync(args);
}

// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- catalog-memory   (load time and retained memory of the built-in catalog)
if (args is ["catalog-memory"])
{
    CatalogLoadBenchmarks.Report(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
