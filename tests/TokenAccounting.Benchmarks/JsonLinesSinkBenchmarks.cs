using BenchmarkDotNet.Attributes;
using Perfolizer.Mathematics.OutlierDetection;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Throughput of <see cref="JsonLinesUsageSink"/>: one 1000-record batch per invocation, written with one write and one
/// fsync, reported per record (records/s = 1e9 / Mean in ns). The baseline writes and fsyncs the same bytes already
/// serialized: the disk's floor, so the ratio is the cost of serialization and bookkeeping on top of it.
/// Outliers are kept: a slow fsync is part of sustained throughput.
/// </summary>
[MemoryDiagnoser]
[Outliers(OutlierMode.DontRemove)]
[InvocationCount(32)]
public class JsonLinesSinkBenchmarks : IDisposable
{
    private const int BatchSize = 1000;

    private UsageRecord[] _records = [];
    private UsageBatch _batch = null!;
    private int _batchNumber;
    private byte[] _serialized = [];
    private string _folder = string.Empty;
    private JsonLinesUsageSink _sink = null!;
    private FileStream _raw = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        var completed = new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
        var records = new UsageRecord[BatchSize];
        for (var i = 0; i < records.Length; i++)
        {
            records[i] = new UsageRecord
            {
                Id = Guid.NewGuid().ToString("N"),
                Model = "gpt-4o-mini",
                ResponseModel = "gpt-4o-mini-2024-07-18",
                Provider = "openai",
                Operation = UsageOperation.Chat,
                Tokens = TokenCounts.FromOpenAI(1200 + i, 350, cachedTokens: 1024, reasoningTokens: 64),
                CompletedAt = completed.AddMilliseconds(i),
                Latency = TimeSpan.FromMilliseconds(812.25),
                UserId = "user-" + (i % 50),
                TenantId = "tenant-" + (i % 5),
                ApiKeyId = "key-1",
                Route = "/chat",
                Cost = new UsageCost(0.00002640m, 0.00007680m, 0m, 0.00017160m, 0.00003840m),
                Tags = new Dictionary<string, string> { ["feature"] = "search" },
            };
        }

        _records = records;
        _batch = new UsageBatch("bench", records, []);

        // The baseline's bytes: exactly what the sink writes for the batch.
        var scratch = Path.Combine(Path.GetTempPath(), "ta-bench-" + Guid.NewGuid().ToString("N"));
        using (var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(scratch, "usage-{date}.jsonl") }))
        {
            sink.WriteAsync(_batch, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            _serialized = File.ReadAllBytes(sink.GetFilePath(new DateOnly(2026, 1, 15)));
        }

        Directory.Delete(scratch, recursive: true);
    }

    // Fresh files every iteration, so the ledger does not grow without bound over the run.
    [IterationSetup]
    public void IterationSetup()
    {
        _folder = Path.Combine(Path.GetTempPath(), "ta-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        _sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(_folder, "usage-{date}.jsonl") });
        _raw = new FileStream(Path.Combine(_folder, "raw.jsonl"), new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, BufferSize = 0 });
    }

    [IterationCleanup]
    public void IterationCleanup()
    {
        _sink.Dispose();
        _raw.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize, Description = "raw write + fsync of the serialized batch")]
    public void RawWriteAndFsync()
    {
        _raw.Write(_serialized);
        _raw.Flush(flushToDisk: true);
    }

    [Benchmark(OperationsPerInvoke = BatchSize, Description = "JsonLinesUsageSink.WriteAsync, 1000-record batch")]
    // A new batch id per invocation: the sink skips a batch id it has just completed (retry dedup).
    public ValueTask SinkWriteBatch() => _sink.WriteAsync(new UsageBatch($"bench-{++_batchNumber}", _records, []), CancellationToken.None);

    public void Dispose()
    {
        _sink?.Dispose();
        _raw?.Dispose();
        GC.SuppressFinalize(this);
    }
}
