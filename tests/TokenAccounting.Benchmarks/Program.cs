using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
