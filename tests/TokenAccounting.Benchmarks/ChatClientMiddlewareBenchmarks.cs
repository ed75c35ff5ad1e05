using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.AI;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// What a user pays per call for each pipeline over the same scripted client: bare (the baseline),
/// <c>UseOpenTelemetry()</c> with a listening OpenTelemetry SDK <see cref="MeterProvider"/> and
/// <see cref="TracerProvider"/> (every span sampled, exported to a no-op exporter), <c>UseTokenAccounting()</c> over a
/// real <see cref="UsageRecorder"/> delivering to a discarding sink, and both stacked (accounting below
/// OpenTelemetry, so it tags the recorded span). Non-streaming calls, and a 50-update stream reported per update
/// through <c>OperationsPerInvoke</c>. Targets (issue 14): <c>UseTokenAccounting()</c> adds no more per call than
/// <c>UseOpenTelemetry()</c>, and at most 50 ns per streamed update.
/// </summary>
/// <remarks>
/// The <c>MiddlewareOnly</c> rows run the same middleware over an <see cref="IUsageRecorder"/> that drops every record
/// at once: the middleware's own share on the caller's thread, without <see cref="UsageRecorder.Record"/> and the
/// pipeline behind it (the difference to the <c>TokenAccounting</c> rows is theirs).
/// </remarks>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class ChatClientMiddlewareBenchmarks : IDisposable
{
    private const int UpdatesPerStream = 50;
    private const string TelemetrySource = "TokenAccounting.Benchmarks.MEAI";

    private readonly List<ChatMessage> _messages =
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, "Summarize the quarterly report in three bullet points."),
    ];

    private readonly ChatOptions _options = new() { ModelId = "gpt-4o-mini" };

    // All are called through the interface, as applications call them.
#pragma warning disable CA1859
    private IChatClient _bare = null!;
    private IChatClient _openTelemetry = null!;
    private IChatClient _accounted = null!;
    private IChatClient _both = null!;
    private IChatClient _middlewareOnly = null!;
#pragma warning restore CA1859
    private UsageRecorder _recorder = null!;
    private MeterProvider _meters = null!;
    private TracerProvider _tracers = null!;

    [GlobalSetup]
    public void Setup()
    {
        _meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(TelemetrySource, TokenAccountingDiagnostics.MeterName)
            .AddReader(new PeriodicExportingMetricReader(new DiscardingExporter<Metric>(), exportIntervalMilliseconds: 60_000))
            .Build();
        _tracers = Sdk.CreateTracerProviderBuilder()
            .AddSource(TelemetrySource)
            .SetSampler(new AlwaysOnSampler())
            .AddProcessor(new SimpleActivityExportProcessor(new DiscardingExporter<Activity>()))
            .Build();
        _recorder = UsageRecorder.Create(new DiscardingSink());

        _bare = new ScriptedClient(UpdatesPerStream);
        _openTelemetry = new ScriptedClient(UpdatesPerStream).AsBuilder().UseOpenTelemetry(sourceName: TelemetrySource).Build();
        _accounted = new ScriptedClient(UpdatesPerStream).AsBuilder().UseTokenAccounting(_recorder).Build();
        _both = new ScriptedClient(UpdatesPerStream).AsBuilder().UseOpenTelemetry(sourceName: TelemetrySource).UseTokenAccounting(_recorder).Build();
        _middlewareOnly = new ScriptedClient(UpdatesPerStream).AsBuilder().UseTokenAccounting(new DroppingRecorder()).Build();
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _bare?.Dispose();
        _openTelemetry?.Dispose();
        _accounted?.Dispose();
        _both?.Dispose();
        _middlewareOnly?.Dispose();
        _recorder?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _tracers?.Dispose();
        _meters?.Dispose();
        GC.SuppressFinalize(this);
    }

    [BenchmarkCategory("Call"), Benchmark(Baseline = true)]
    public Task<ChatResponse> Call_Bare() => _bare.GetResponseAsync(_messages, _options);

    [BenchmarkCategory("Call"), Benchmark]
    public Task<ChatResponse> Call_OpenTelemetry() => _openTelemetry.GetResponseAsync(_messages, _options);

    [BenchmarkCategory("Call"), Benchmark]
    public Task<ChatResponse> Call_TokenAccounting() => _accounted.GetResponseAsync(_messages, _options);

    [BenchmarkCategory("Call"), Benchmark]
    public Task<ChatResponse> Call_Both() => _both.GetResponseAsync(_messages, _options);

    [BenchmarkCategory("Call"), Benchmark]
    public Task<ChatResponse> Call_MiddlewareOnly() => _middlewareOnly.GetResponseAsync(_messages, _options);

    [BenchmarkCategory("StreamedUpdate"), Benchmark(Baseline = true, OperationsPerInvoke = UpdatesPerStream)]
    public Task<int> StreamedUpdate_Bare() => DrainAsync<BareRow>(_bare);

    [BenchmarkCategory("StreamedUpdate"), Benchmark(OperationsPerInvoke = UpdatesPerStream)]
    public Task<int> StreamedUpdate_OpenTelemetry() => DrainAsync<OpenTelemetryRow>(_openTelemetry);

    [BenchmarkCategory("StreamedUpdate"), Benchmark(OperationsPerInvoke = UpdatesPerStream)]
    public Task<int> StreamedUpdate_TokenAccounting() => DrainAsync<TokenAccountingRow>(_accounted);

    [BenchmarkCategory("StreamedUpdate"), Benchmark(OperationsPerInvoke = UpdatesPerStream)]
    public Task<int> StreamedUpdate_Both() => DrainAsync<BothRow>(_both);

    [BenchmarkCategory("StreamedUpdate"), Benchmark(OperationsPerInvoke = UpdatesPerStream)]
    public Task<int> StreamedUpdate_MiddlewareOnly() => DrainAsync<MiddlewareOnlyRow>(_middlewareOnly);

    /// <summary>
    /// Reads a stream as an application's <c>await foreach</c> does. Generic over a struct per row, so each row's loop
    /// is compiled (and profiled) on its own, as in an application whose loop only ever sees its own pipeline: with one
    /// shared loop, a run in one process (<c>--inProcess</c>) trained it on the first row's enumerator (the bare
    /// baseline's, which it inlined) and charged every later row a failed guess.
    /// </summary>
    private async Task<int> DrainAsync<TRow>(IChatClient client)
        where TRow : struct
    {
        // What `await foreach` compiles to, with the calls on the enumerator made here (ConfigureAwait(false) on the
        // stream would make them in ConfiguredCancelableAsyncEnumerable's code, which every row shares).
        var count = 0;
        var updates = client.GetStreamingResponseAsync(_messages, _options).GetAsyncEnumerator();
        try
        {
            while (await updates.MoveNextAsync().ConfigureAwait(false))
            {
                count += updates.Current.Contents.Count;
            }
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }

        return count;
    }

    private struct BareRow;

    private struct OpenTelemetryRow;

    private struct TokenAccountingRow;

    private struct BothRow;

    private struct MiddlewareOnlyRow;

    /// <summary>The bare baseline: a completed response and a synchronous stream of pre-built updates, usage last.</summary>
    private sealed class ScriptedClient : IChatClient
    {
        private readonly ChatResponse _response;
        private readonly ChatResponseUpdate[] _updates;
        private readonly ChatClientMetadata _metadata = new("openai", null, "gpt-4o-mini");

        public ScriptedClient(int updates)
        {
            var usage = new UsageDetails { InputTokenCount = 120, OutputTokenCount = updates, CachedInputTokenCount = 64 };
            _response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "- one\n- two\n- three")) { Usage = usage, ModelId = "gpt-4o-mini-2024-07-18" };
            _updates = new ChatResponseUpdate[updates];
            for (var i = 0; i < updates - 1; i++)
            {
                _updates[i] = new ChatResponseUpdate(ChatRole.Assistant, "tok") { ModelId = "gpt-4o-mini-2024-07-18" };
            }

            _updates[updates - 1] = new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)]);
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(_response); // a fresh completed task per call, as an in-process client returns

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            new Updates(_updates);

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata : null;

        public void Dispose()
        {
        }
    }

    private sealed class Updates(ChatResponseUpdate[] updates) : IAsyncEnumerable<ChatResponseUpdate>
    {
        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(updates);

        private sealed class Enumerator(ChatResponseUpdate[] updates) : IAsyncEnumerator<ChatResponseUpdate>
        {
            private int _index = -1;

            public ChatResponseUpdate Current => updates[_index];

            public ValueTask<bool> MoveNextAsync() => new(++_index < updates.Length);

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }

    /// <summary>Keeps nothing: what the middleware costs without the recorder behind it.</summary>
    private sealed class DroppingRecorder : IUsageRecorder
    {
        public void Record(UsageRecord record)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    private sealed class DiscardingSink : IUsageSink
    {
        public ValueTask WriteAsync(UsageBatch batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class DiscardingExporter<T> : BaseExporter<T>
        where T : class
    {
        public override ExportResult Export(in Batch<T> batch) => ExportResult.Success;
    }
}
