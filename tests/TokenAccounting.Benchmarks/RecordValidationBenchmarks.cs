using BenchmarkDotNet.Attributes;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// The cost of <see cref="UsageRecord.Validate"/> on the <c>Record()</c> hot path (issue 12 §1): the record of
/// <see cref="RecordBenchmarks"/>, and one with the fields and tags a middleware-made record carries. Should be a few
/// nanoseconds and 0 B. The first two rows run every check (as for a record the caller has just built); the last one
/// is a record validated before (recorded again, or checked by the tracker before <c>Record()</c>), which is not checked twice.
/// </summary>
[MemoryDiagnoser]
public class RecordValidationBenchmarks
{
    private readonly UsageRecord _minimal = new() { Model = "gpt-4o", Provider = "openai", Tokens = new TokenCounts(1200, 300, 1000, 0, 0, 100), UserId = "alice" };

    private readonly UsageRecord _full = new()
    {
        Id = "0HN8K2Q3M4V5-00000001",
        Model = "gpt-4o",
        ResponseModel = "gpt-4o-2024-08-06",
        Provider = "openai",
        Tokens = new TokenCounts(1200, 300, 1000, 0, 0, 100),
        UserId = "alice@example.com",
        TenantId = "acme",
        ApiKeyId = "key-prod-1",
        Route = "/api/chat",
        CorrelationId = "4bf92f3577b34da6a3ce929d0e0e4736",
        Tags = new Dictionary<string, string> { ["feature"] = "search", ["region"] = "eu-west-1" },
        StageDurations = new Dictionary<string, TimeSpan> { ["ttft"] = TimeSpan.FromMilliseconds(120) },
        Cost = new UsageCost(0.0005m, 0.00125m, 0m, 0.003m, 0m),
    };

    [Benchmark(Baseline = true, Description = "Validate(), RecordBenchmarks' record")]
    public void Minimal() => _minimal.ValidateFields();

    [Benchmark(Description = "Validate(), ids, route, 2 tags, a stage, a cost")]
    public void Full() => _full.ValidateFields();

    [Benchmark(Description = "Validate(), RecordBenchmarks' record, validated before")]
    public void MinimalValidatedBefore() => _minimal.Validate();
}
