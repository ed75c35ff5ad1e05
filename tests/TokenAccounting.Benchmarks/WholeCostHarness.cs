using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// The whole cost of a record or a call (issue 13 §1), not the caller's share: process CPU time (every thread — the
/// caller, the aggregator, the sink workers, the peers' export threads, the GC), allocated bytes and GC collections
/// around N operations, measured until the pipeline has delivered them (flush and dispose inside the measured span).
/// </summary>
/// <remarks>
/// <para>
/// <c>dotnet run -c Release --project tests/TokenAccounting.Benchmarks -- whole-cost [operations] [repetitions] [scenario,...]</c>.
/// Defaults: 1,000,000 operations, 5 repetitions, every scenario. Repetitions are interleaved (every scenario once,
/// then again), so a noisy stretch of the machine spreads over all of them. Before the first repetition every scenario
/// runs once with up to 250,000 operations, discarded, so that tiered compilation has promoted every path the runs take;
/// then each run builds its pipeline afresh, warms it with 100,000 operations (delivered before the span opens), waits
/// until the JIT has been quiet for half a second, forces a full GC, then measures.
/// </para>
/// <para>
/// Measured per run: <see cref="Process.TotalProcessorTime"/> (user + kernel, all threads of this process),
/// <see cref="GC.GetTotalAllocatedBytes(bool)"/> (precise, all threads), <see cref="GC.CollectionCount"/> per
/// generation, wall time, and the time the JIT spent compiling inside the span (<see cref="System.Runtime.JitInfo"/>,
/// all threads; part of the CPU figure, shown apart because it is a one-time cost: before the span opens the harness
/// waits until tiered compilation has gone quiet). Reported: the median over repetitions and the spread (min–max), per operation; GCs per
/// 1,000,000 operations; how many of the operations reached the sink or exporter (a pipeline that drops under a burst
/// does less work, and the table says so).
/// </para>
/// </remarks>
internal static partial class WholeCostHarness
{
    private const int WarmUp = 100_000;
    private const string PeerSource = "TokenAccounting.Benchmarks.WholeCost";

    private static readonly UsageRecord Record = new()
    {
        Model = "gpt-4o-mini",
        ResponseModel = "gpt-4o-mini-2024-07-18",
        Provider = "openai",
        Operation = UsageOperation.Chat,
        Tokens = TokenCounts.FromOpenAI(1200, 350, cachedTokens: 1024, reasoningTokens: 64),
        Latency = TimeSpan.FromMilliseconds(812.25),
        UserId = "user-7",
        TenantId = "acme",
        Route = "/chat",
        Cost = new UsageCost(0.00002640m, 0.00007680m, 0m, 0.00017160m, 0.00003840m),
    };

    private static readonly Scenario[] All =
    [
        new("record.discard", "`Record()` → discarding sink", "otel.log.batch.sized", RecordIntoDiscardingSink),
        new("record.discard.otel", "`Record()` → discarding sink, OTel SDK MeterProvider listening", "otel.log.batch.sized", RecordIntoDiscardingSinkWithOtelMetrics),
        new("record.jsonl", "`Record()` → JSON-lines ledger (default options, fsync per batch)", "otel.log.batch.sized", RecordIntoJsonLines(maxBatchSize: null)),
        new("record.jsonl.batch10k", "`Record()` → JSON-lines ledger, `MaxBatchSize` = 10,000 (else default options)", "record.jsonl", RecordIntoJsonLines(maxBatchSize: 10_000)),
        new("jsonl.sink", "JSON-lines sink alone: `WriteAsync` of 1,000-record batches as the pipeline sends them (fsync per batch)", "jsonl.floor", JsonLinesSinkAlone(batchSize: 1000)),
        new("jsonl.sink.10k", "JSON-lines sink alone: `WriteAsync` of 10,000-record batches (fsync per batch)", "jsonl.floor.10k", JsonLinesSinkAlone(batchSize: 10_000)),
        new("jsonl.floor", "the disk's floor for `jsonl.sink`: write + fsync of the same bytes, per 1,000-record batch", null, JsonLinesDiskFloor(batchSize: 1000)),
        new("jsonl.floor.10k", "the disk's floor for `jsonl.sink.10k`: write + fsync of the same bytes, per 10,000-record batch", null, JsonLinesDiskFloor(batchSize: 10_000)),
        new("jsonl.serialize", "JSON-lines line writer alone: `Validate()` + serialize, no I/O", "jsonl.serialize.novalidate", JsonLinesSerializeOnly(validate: true)),
        new("jsonl.serialize.novalidate", "JSON-lines line writer alone: serialize only (what `Validate()` adds is the difference)", null, JsonLinesSerializeOnly(validate: false)),
        new("otel.log.batch", "OTel `ILogger` → `BatchLogRecordExportProcessor` (defaults: queue 2,048) → discarding exporter", null, OtelBatchLog(maxQueueSize: 2048)),
        new("otel.log.batch.sized", "OTel `ILogger` → `BatchLogRecordExportProcessor` (queue 1,048,576: nothing dropped) → discarding exporter", null, OtelBatchLog(maxQueueSize: 1 << 20)),
        new("otel.histogram", "2 × OTel SDK `Histogram.Record`, 5 attributes (input + output sample)", null, OtelHistograms),
        new("chat.bare", "chat call, bare scripted client", null, ChatBare),
        new("chat.ta", "chat call, `UseTokenAccounting()` + recorder (discarding sink), OTel SDK MeterProvider listening", "chat.otel", ChatTokenAccounting),
        new("chat.otel", "chat call, `UseOpenTelemetry()`, OTel SDK MeterProvider + TracerProvider (batch, sized) listening", null, ChatOpenTelemetry),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var operations = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1_000_000;
        var repetitions = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 5;
        var selected = args.Length > 3
            ? All.Where(s => args[3].Split(',').Contains(s.Name, StringComparer.Ordinal)).ToArray()
            : All;
        if (selected.Length == 0)
        {
            await Console.Error.WriteLineAsync("Unknown scenario; known: " + string.Join(", ", All.Select(s => s.Name))).ConfigureAwait(false);
            return 2;
        }

        Console.WriteLine($"whole-cost: {operations:N0} operations × {repetitions} repetitions; {Environment.ProcessorCount} cores; "
            + $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC, {(GCSettings.LatencyMode == GCLatencyMode.Batch ? "non-concurrent" : "concurrent")}; .NET {Environment.Version}");
        // A warm-up pass, discarded: every scenario once, so that each measured run finds every path it takes compiled
        // at its final tier. Tiered compilation promotes a method only once it has been called 30 times after the
        // tiering delay, so paths a pipeline reaches only under sustained load (its background threads' steady state)
        // would otherwise be compiled inside the first measured span of each scenario — a one-time cost, not a
        // per-operation one, that landed on the scenarios with the most background code.
        foreach (var scenario in selected)
        {
            var warm = await scenario.Run(Math.Min(operations, 250_000)).ConfigureAwait(false);
            Console.WriteLine($"  warm-up {scenario.Name,-22} JIT {warm.JitMs:N0} ms in span (discarded)");
        }

        var results = selected.ToDictionary(s => s.Name, _ => new List<Measurement>());
        for (var repetition = 1; repetition <= repetitions; repetition++)
        {
            foreach (var scenario in selected)
            {
                var measurement = await scenario.Run(operations).ConfigureAwait(false);
                results[scenario.Name].Add(measurement);
                Console.WriteLine($"  #{repetition} {scenario.Name,-22} {measurement.CpuNs / operations,9:N0} ns CPU/op {measurement.WallNs / operations,9:N0} ns wall/op "
                    + $"{(double)measurement.Bytes / operations,7:N0} B/op  gen0/1/2 {measurement.Gen0}/{measurement.Gen1}/{measurement.Gen2}  JIT {measurement.JitMs:N0} ms  delivered {measurement.Delivered:N0}");
            }
        }

        Console.WriteLine();
        Console.WriteLine(FormatTable(selected, results, operations));
        return 0;
    }

    private static string FormatTable(Scenario[] scenarios, Dictionary<string, List<Measurement>> results, int operations)
    {
        var perMillion = 1_000_000.0 / operations;
        var lines = new List<string>
        {
            "| scenario | CPU ns/op, median (min–max) | ratio | wall ns/op | B/op | GCs per 1M ops, gen0/1/2 | JIT in span, ms | delivered |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        };
        foreach (var scenario in scenarios)
        {
            var runs = results[scenario.Name];
            var cpu = runs.Select(r => r.CpuNs / operations).ToArray();
            var ratio = scenario.Peer is { } peer && results.TryGetValue(peer, out var peerRuns)
                ? (Median(cpu) / Median(peerRuns.Select(r => r.CpuNs / operations).ToArray())).ToString("0.00", CultureInfo.InvariantCulture) + "× `" + peer + "`"
                : "—";
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| {scenario.Description} (`{scenario.Name}`) | {Median(cpu):N0} ({cpu.Min():N0}–{cpu.Max():N0}) | {ratio} | {Median(runs.Select(r => r.WallNs / operations).ToArray()):N0} "
                + $"| {Median(runs.Select(r => (double)r.Bytes / operations).ToArray()):N0} "
                + $"| {Median(runs.Select(r => r.Gen0 * perMillion).ToArray()):0.#}/{Median(runs.Select(r => r.Gen1 * perMillion).ToArray()):0.#}/{Median(runs.Select(r => r.Gen2 * perMillion).ToArray()):0.#} "
                + $"| {Median(runs.Select(r => r.JitMs).ToArray()):N0} "
                + $"| {Median(runs.Select(r => 100.0 * r.Delivered / operations).ToArray()):0.#} % |"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static double Median(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Opens the measured span: a full blocking GC first, so each run starts from the same heap.</summary>
    private static Probe Start(UsageRecorder? recorder = null)
    {
        // Let tiered compilation finish promoting what the warm-up ran: its background JIT is process CPU too, a
        // one-time cost, not a per-record one. A fixed pause was not enough (the tier-1 queue of a pipeline with
        // several threads takes longer than 300 ms to drain on two cores): wait until no method has been compiled for
        // half a second, at most 15 s. What still compiles inside the span is reported in its own column.
        SettleTieredCompilation();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        WholeCostGcProbe.Start(recorder is null ? null : () => Backlog(recorder));
        using var process = Process.GetCurrentProcess();
        return new Probe(
            process.TotalProcessorTime,
            GC.GetTotalAllocatedBytes(precise: true),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            JitInfo.GetCompilationTime(currentThread: false),
            Stopwatch.GetTimestamp());
    }

    private static void SettleTieredCompilation()
    {
        var deadline = Stopwatch.GetTimestamp() + (15 * Stopwatch.Frequency);
        var quietSince = Stopwatch.GetTimestamp();
        var compiled = JitInfo.GetCompiledMethodCount(currentThread: false);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(100);
            var now = JitInfo.GetCompiledMethodCount(currentThread: false);
            if (now != compiled)
            {
                compiled = now;
                quietSince = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(quietSince) >= TimeSpan.FromMilliseconds(500))
            {
                return;
            }
        }
    }

    private static Measurement Stop(Probe start, long delivered)
    {
        var wall = Stopwatch.GetElapsedTime(start.Timestamp);
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime - start.Cpu;
        if (WholeCostGcProbe.Stop() is { } gcLine)
        {
            Console.WriteLine(gcLine);
        }

        return new Measurement(
            cpu.Ticks * 100.0,
            wall.Ticks * 100.0,
            GC.GetTotalAllocatedBytes(precise: true) - start.Bytes,
            GC.CollectionCount(0) - start.Gen0,
            GC.CollectionCount(1) - start.Gen1,
            GC.CollectionCount(2) - start.Gen2,
            (JitInfo.GetCompilationTime(currentThread: false) - start.Jit).TotalMilliseconds,
            delivered);
    }

    /// <summary>The GC probe's sampler: records queued (rings and overflow) and details buffered for the first sink.</summary>
    private static (long Queued, long Buffered) Backlog(UsageRecorder recorder)
    {
        var diagnostics = recorder.GetDiagnostics();
        return (diagnostics.QueueLength, diagnostics.Sinks.Count > 0 ? diagnostics.Sinks[0].BufferedRecords : 0);
    }

    private static async Task<Measurement> RecordIntoDiscardingSink(int operations)
    {
        var sink = new CountingSink();
        var recorder = UsageRecorder.Create(sink);
        for (var i = 0; i < WarmUp; i++)
        {
            recorder.Record(Record);
        }

        await recorder.FlushAsync().ConfigureAwait(false);
        sink.Reset();
        var probe = Start(recorder);
        for (var i = 0; i < operations; i++)
        {
            recorder.Record(Record);
        }

        WholeCostGcProbe.Mark();
        await recorder.DisposeAsync().ConfigureAwait(false);
        return Stop(probe, sink.Records);
    }

    private static async Task<Measurement> RecordIntoDiscardingSinkWithOtelMetrics(int operations)
    {
        using var meters = Meters(TokenAccountingDiagnostics.MeterName);
        return await RecordIntoDiscardingSink(operations).ConfigureAwait(false);
    }

    private static Func<int, Task<Measurement>> RecordIntoJsonLines(int? maxBatchSize) => async operations =>
    {
        var folder = Path.Combine(Path.GetTempPath(), "ta-whole-cost-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(folder, "usage-{date}.jsonl") });
            var counting = new CountingSink(sink);
            var options = new TokenAccountingOptions();
            if (maxBatchSize is { } size)
            {
                options.MaxBatchSize = size;
            }

            var recorder = UsageRecorder.Create(options, counting);
            for (var i = 0; i < WarmUp; i++)
            {
                recorder.Record(Record);
            }

            await recorder.FlushAsync().ConfigureAwait(false);
            counting.Reset();
            var probe = Start(recorder);
            for (var i = 0; i < operations; i++)
            {
                recorder.Record(Record);
            }

            await recorder.DisposeAsync().ConfigureAwait(false);
            sink.Dispose();
            return Stop(probe, counting.Records);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    };

    /// <summary>Records as the aggregator hands them to a sink: enriched with an id and a completion time.</summary>
    private static UsageRecord[] PipelineRecords(int count)
    {
        var completed = new DateTimeOffset(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
        var records = new UsageRecord[count];
        for (var i = 0; i < count; i++)
        {
            records[i] = Record with { Id = "0123456789abcdef0123" + i.ToString("x12", CultureInfo.InvariantCulture), CompletedAt = completed.AddTicks(i * 1234L) };
        }

        return records;
    }

    private static Func<int, Task<Measurement>> JsonLinesSinkAlone(int batchSize) => async operations =>
    {
        var records = PipelineRecords(batchSize);
        var key = UsageRollupKey.For(records[0]);
        UsageRollup[] rollups = [new UsageRollup(key, records[0].Tokens, 1, records[0].Cost)];
        var folder = Path.Combine(Path.GetTempPath(), "ta-whole-cost-" + Guid.NewGuid().ToString("N"));
        try
        {
            var sink = new JsonLinesUsageSink(new JsonLinesUsageSinkOptions { PathTemplate = Path.Combine(folder, "usage-{date}.jsonl") });
            var batch = 0;
            for (var i = 0; i < WarmUp; i += batchSize)
            {
                await sink.WriteAsync(new UsageBatch("warm-" + batch++, records, rollups), CancellationToken.None).ConfigureAwait(false);
            }

            var probe = Start();
            for (var i = 0; i < operations; i += batchSize)
            {
                await sink.WriteAsync(new UsageBatch("b-" + batch++, records, rollups), CancellationToken.None).ConfigureAwait(false);
            }

            sink.Dispose();
            return Stop(probe, operations);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    };

    private static Func<int, Task<Measurement>> JsonLinesDiskFloor(int batchSize) => operations =>
    {
        var records = PipelineRecords(batchSize);
        using var writer = new JsonLinesLedgerWriter();
        foreach (var record in records)
        {
            writer.WriteLine(record, "b-0123456789");
        }

        var bytes = writer.WrittenSpan.ToArray();
        var folder = Path.Combine(Path.GetTempPath(), "ta-whole-cost-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var stream = new FileStream(Path.Combine(folder, "raw.jsonl"), new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, BufferSize = 0 });
            for (var i = 0; i < WarmUp; i += batchSize)
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            var probe = Start();
            for (var i = 0; i < operations; i += batchSize)
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            return Task.FromResult(Stop(probe, operations));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    };

    private static Func<int, Task<Measurement>> JsonLinesSerializeOnly(bool validate) => operations =>
    {
        var records = PipelineRecords(1000);
        using var writer = new JsonLinesLedgerWriter();
        for (var i = 0; i < WarmUp; i++)
        {
            if ((i % 1000) == 0)
            {
                writer.Clear();
            }

            records[i % 1000].Validate();
            writer.WriteLine(records[i % 1000], "batch-id-0123456789abcdef");
        }

        var probe = Start();
        for (var i = 0; i < operations; i++)
        {
            if ((i % 1000) == 0)
            {
                writer.Clear();
            }

            var record = records[i % 1000];
            if (validate)
            {
                record.Validate();
            }

            writer.WriteLine(record, "batch-id-0123456789abcdef");
        }

        return Task.FromResult(Stop(probe, operations));
    };

    private static Func<int, Task<Measurement>> OtelBatchLog(int maxQueueSize) => operations =>
    {
        var exporter = new CountingExporter<LogRecord>();
        var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = false;
            o.AddProcessor(new BatchLogRecordExportProcessor(exporter, maxQueueSize: maxQueueSize));
        }));
        var logger = factory.CreateLogger("TokenAccounting.Usage");
        for (var i = 0; i < WarmUp; i++)
        {
            LogUsage(logger);
        }

        // The warm-up is exported before the span opens: a scheduled export is at most the processor's delay away.
        SpinWait.SpinUntil(() => exporter.Count >= WarmUp, TimeSpan.FromSeconds(10));
        exporter.Reset();
        var probe = Start();
        for (var i = 0; i < operations; i++)
        {
            LogUsage(logger);
        }

        factory.Dispose(); // shuts the provider down: the processor exports everything queued
        return Task.FromResult(Stop(probe, exporter.Count));
    };

    // The same fields a usage record carries to a sink, as one structured event.
    private static void LogUsage(ILogger logger) =>
        LogUsageRecorded(logger, "chat", "gpt-4o-mini", "openai", "succeeded", 1200, 1024, 0, 350, 64, "reported", 0.0003132m, "user-7", "acme", "/chat", 812.25, "gpt-4o-mini-2024-07-18");

    [LoggerMessage(EventId = 1, EventName = "UsageRecorded", Level = LogLevel.Information,
        Message = "{Operation} {Model} {Provider} {Outcome} in={InputTokens} cached={CachedInputTokens} cache_write={CacheWriteInputTokens} out={OutputTokens} reasoning={ReasoningTokens} {Provenance} ${CostUsd} user={UserId} tenant={TenantId} {Route} {LatencyMs}ms {ResponseModel}")]
    private static partial void LogUsageRecorded(
        ILogger logger, string operation, string model, string provider, string outcome, long inputTokens, long cachedInputTokens, long cacheWriteInputTokens,
        long outputTokens, long reasoningTokens, string provenance, decimal costUsd, string userId, string tenantId, string route, double latencyMs, string responseModel);

    private static Task<Measurement> OtelHistograms(int operations)
    {
        using var meter = new Meter(PeerSource + ".Histogram");
        var histogram = meter.CreateHistogram<long>("gen_ai.client.token.usage", "{token}", advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] });
        var meters = Meters(meter.Name);
        try
        {
            for (var i = 0; i < WarmUp; i++)
            {
                RecordHistograms(histogram);
            }

            var probe = Start();
            for (var i = 0; i < operations; i++)
            {
                RecordHistograms(histogram);
            }

            meters.Dispose();
            return Task.FromResult(Stop(probe, operations));
        }
        finally
        {
            meters.Dispose();
        }
    }

    private static void RecordHistograms(Histogram<long> histogram)
    {
        var tags = new TagList
        {
            { "gen_ai.operation.name", "chat" },
            { "gen_ai.provider.name", "openai" },
            { "gen_ai.request.model", "gpt-4o-mini" },
            { "gen_ai.response.model", "gpt-4o-mini-2024-07-18" },
            { "gen_ai.token.type", "input" },
        };
        histogram.Record(1200, tags);
        tags[4] = new KeyValuePair<string, object?>("gen_ai.token.type", "output");
        histogram.Record(350, tags);
    }

    private static async Task<Measurement> ChatBare(int operations)
    {
        using var client = new ScriptedChatClient();
        return await CallAsync(client, operations, afterCalls: () => ValueTask.CompletedTask, delivered: () => operations).ConfigureAwait(false);
    }

    private static async Task<Measurement> ChatTokenAccounting(int operations)
    {
        var meters = Meters(TokenAccountingDiagnostics.MeterName);
        var sink = new CountingSink();
        var recorder = UsageRecorder.Create(sink);
        using var client = new ScriptedChatClient().AsBuilder().UseTokenAccounting(recorder).Build();
        return await CallAsync(
            client,
            operations,
            warmedUp: async () =>
            {
                await recorder.FlushAsync().ConfigureAwait(false);
                sink.Reset();
            },
            afterCalls: async () =>
            {
                await recorder.DisposeAsync().ConfigureAwait(false);
                meters.Dispose();
            },
            delivered: () => sink.Records,
            recorder: recorder).ConfigureAwait(false);
    }

    private static async Task<Measurement> ChatOpenTelemetry(int operations)
    {
        var meters = Meters(PeerSource);
        var spans = new CountingExporter<Activity>();
        var tracers = Sdk.CreateTracerProviderBuilder()
            .AddSource(PeerSource)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new BatchActivityExportProcessor(spans, maxQueueSize: 1 << 20))
            .Build();
        using var client = new ScriptedChatClient().AsBuilder().UseOpenTelemetry(sourceName: PeerSource).Build();
        return await CallAsync(
            client,
            operations,
            warmedUp: () =>
            {
                tracers.ForceFlush();
                spans.Reset();
                return ValueTask.CompletedTask;
            },
            afterCalls: () =>
            {
                tracers.Dispose(); // exports every queued span
                meters.Dispose();
                return ValueTask.CompletedTask;
            },
            delivered: () => spans.Count).ConfigureAwait(false);
    }

    private static async Task<Measurement> CallAsync(IChatClient client, int operations, Func<ValueTask> afterCalls, Func<long> delivered, Func<ValueTask>? warmedUp = null, UsageRecorder? recorder = null)
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "You are a helpful assistant."),
            new(ChatRole.User, "Summarize the quarterly report in three bullet points."),
        ];
        var options = new ChatOptions { ModelId = "gpt-4o-mini" };
        for (var i = 0; i < WarmUp; i++)
        {
            await client.GetResponseAsync(messages, options).ConfigureAwait(false);
        }

        if (warmedUp is not null)
        {
            await warmedUp().ConfigureAwait(false);
        }

        var probe = Start(recorder);
        for (var i = 0; i < operations; i++)
        {
            await client.GetResponseAsync(messages, options).ConfigureAwait(false);
        }

        WholeCostGcProbe.Mark();
        await afterCalls().ConfigureAwait(false);
        return Stop(probe, delivered());
    }

    private static MeterProvider Meters(string meterName) => Sdk.CreateMeterProviderBuilder()
        .AddMeter(meterName)
        .AddReader(new PeriodicExportingMetricReader(new CountingExporter<Metric>(), exportIntervalMilliseconds: 60_000))
        .Build();

    private sealed record Scenario(string Name, string Description, string? Peer, Func<int, Task<Measurement>> Run);

    private readonly record struct Probe(TimeSpan Cpu, long Bytes, int Gen0, int Gen1, int Gen2, TimeSpan Jit, long Timestamp);

    private readonly record struct Measurement(double CpuNs, double WallNs, long Bytes, int Gen0, int Gen1, int Gen2, double JitMs, long Delivered);

    /// <summary>Forgets what it is given (or hands it on), counting the detail records.</summary>
    private sealed class CountingSink(IUsageSink? inner = null) : IUsageSink
    {
        private long _records;

        public long Records => Interlocked.Read(ref _records);

        public void Reset() => Interlocked.Exchange(ref _records, 0);

        public async ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken)
        {
            if (inner is not null)
            {
                await inner.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            }

            Interlocked.Add(ref _records, batch.Records.Count);
        }
    }

    private sealed class CountingExporter<T> : BaseExporter<T>
        where T : class
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        public void Reset() => Interlocked.Exchange(ref _count, 0);

        public override ExportResult Export(in Batch<T> batch)
        {
            Interlocked.Add(ref _count, batch.Count);
            return ExportResult.Success;
        }
    }

    /// <summary>A completed response with usage, as an in-process client returns it.</summary>
    private sealed class ScriptedChatClient : IChatClient
    {
        private readonly ChatClientMetadata _metadata = new("openai", null, "gpt-4o-mini");

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "- one\n- two\n- three"))
            {
                Usage = new UsageDetails { InputTokenCount = 120, OutputTokenCount = 50, CachedInputTokenCount = 64 },
                ModelId = "gpt-4o-mini-2024-07-18",
            });

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata : null;

        public void Dispose()
        {
        }
    }
}
