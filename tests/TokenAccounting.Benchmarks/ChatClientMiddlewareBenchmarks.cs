using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.AI;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// Overhead of the accounting <see cref="IChatClient"/> middleware over a bare scripted client, per non-streaming call
/// and per streamed update (the streaming pair reports per update through <c>OperationsPerInvoke</c>). The recorder
/// is a no-op, so this measures the middleware alone; the recorder has its own benchmarks.
/// Targets (issue 6): ≤ 1 µs per non-streaming call, ≤ 50 ns per streamed update.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class ChatClientMiddlewareBenchmarks : IDisposable
{
    private const int UpdatesPerStream = 100;

    private readonly List<ChatMessage> _messages =
    [
        new(ChatRole.System, "You are a helpful assistant."),
        new(ChatRole.User, "Summarize the quarterly report in three bullet points."),
    ];

    private readonly ChatOptions _options = new() { ModelId = "gpt-4o-mini" };

    // Both are called through the interface, as applications call them.
#pragma warning disable CA1859
    private IChatClient _bare = null!;
#pragma warning restore CA1859
    private IChatClient _accounted = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bare = new ScriptedClient(UpdatesPerStream);
        _accounted = new ScriptedClient(UpdatesPerStream).WithTokenAccounting(new NullRecorder());
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _bare?.Dispose();
        _accounted?.Dispose();
        GC.SuppressFinalize(this);
    }

    [BenchmarkCategory("Call"), Benchmark(Baseline = true)]
    public Task<ChatResponse> Call_Bare() => _bare.GetResponseAsync(_messages, _options);

    [BenchmarkCategory("Call"), Benchmark]
    public Task<ChatResponse> Call_Accounted() => _accounted.GetResponseAsync(_messages, _options);

    [BenchmarkCategory("StreamedUpdate"), Benchmark(Baseline = true, OperationsPerInvoke = UpdatesPerStream)]
    public Task<int> StreamedUpdate_Bare() => DrainAsync(_bare);

    [BenchmarkCategory("StreamedUpdate"), Benchmark(OperationsPerInvoke = UpdatesPerStream)]
    public Task<int> StreamedUpdate_Accounted() => DrainAsync(_accounted);

    private async Task<int> DrainAsync(IChatClient client)
    {
        var count = 0;
        await foreach (var update in client.GetStreamingResponseAsync(_messages, _options).ConfigureAwait(false))
        {
            count += update.Contents.Count;
        }

        return count;
    }

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

    private sealed class Updates(ChatResponseUpdate[] updates) : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private int _index = -1;

        public ChatResponseUpdate Current => updates[_index];

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => new(++_index < updates.Length);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class NullRecorder : IUsageRecorder
    {
        public void Record(UsageRecord record)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
