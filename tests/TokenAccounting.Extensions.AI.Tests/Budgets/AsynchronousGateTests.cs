using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Budgets;

/// <summary>
/// The budget gate is asynchronous end to end: with a store whose operations complete only asynchronously, no thread
/// that runs the middleware (the caller's, or one continuing after the store) ever blocks on it.
/// </summary>
public sealed class AsynchronousGateTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);
    private static readonly BudgetSubject Alice = new() { UserId = "alice" };

    private readonly BlockingDetector _detector = new();
    private readonly CapturingRecorder _recorder = new();

    private static ChatClientMetadata Metadata => new("openai", null, "gpt-4o");

    private (BudgetManager Manager, AsynchronousBudgetStore Store) Budgets(decimal limit = 10_000)
    {
        var store = new AsynchronousBudgetStore(_detector);
        var manager = new BudgetManager(
            [new BudgetPolicy { Name = "daily", Dimension = BudgetDimension.User, Limit = limit }],
            store,
            new FakeTimeProvider(Start),
            countRecordedUsage: false);
        return (manager, store);
    }

    private IChatClient Wrap(IChatClient inner, BudgetManager manager) =>
        inner.WithTokenAccounting(_recorder, o =>
        {
            o.Budgets = manager;
            o.CapOutputTokensToBudget = true; // adds the read of what is left to the round trips
            o.AttributionResolver = (_, _) => new UsageAttribution { UserId = "alice" };
        });

    [Fact]
    public async Task GetResponseAsync_AsynchronousStore_NoThreadBlocks()
    {
        var (manager, store) = Budgets();
        var inner = new ScriptedChatClient(Metadata).Respond(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 } });
        var client = Wrap(inner, manager);

        var call = _detector.Run(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]));
        await call;

        store.Calls.ShouldBe(3, "read what is left, reserve, commit");
        store.CompletedSynchronously.ShouldBe(0);
        _detector.Blocked.ShouldBe(0, "a thread blocked on the budget store (sync over async)");
        _detector.Unwatched.ShouldBe(0);
        (await manager.GetUsedAsync("daily", Alice)).ShouldBe(120m);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_AsynchronousStore_NoThreadBlocks()
    {
        var (manager, store) = Budgets();
        // Streams without yielding to the pool, so that every continuation stays in a watched segment.
        var inner = new InlineStreamingClient(
            new ChatResponseUpdate(ChatRole.Assistant, "o"),
            new ChatResponseUpdate(ChatRole.Assistant, "k"),
            new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 })]));
        var client = Wrap(inner, manager);

        var updates = 0;
        await _detector.Run(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "hello")]).ConfigureAwait(false))
            {
                updates++;
            }
        });

        updates.ShouldBe(3);
        store.Calls.ShouldBe(3);
        _detector.Blocked.ShouldBe(0, "a thread blocked on the budget store (sync over async)");
        _detector.Unwatched.ShouldBe(0);
        (await manager.GetUsedAsync("daily", Alice)).ShouldBe(120m);
    }

    [Fact]
    public async Task GetResponseAsync_AsynchronousStoreDenies_NoThreadBlocks()
    {
        var (manager, _) = Budgets(limit: 1);
        var client = Wrap(new ScriptedChatClient(Metadata), manager);

        var call = _detector.Run(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], new ChatOptions { MaxOutputTokens = 100 }));
        await Should.ThrowAsync<BudgetExceededException>(() => call);

        _detector.Blocked.ShouldBe(0);
        _detector.Unwatched.ShouldBe(0);
    }

    [Fact]
    public async Task GenerateAsync_AsynchronousStore_NoThreadBlocks()
    {
        var (manager, store) = Budgets();
        var generator = new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small")).Respond(new UsageDetails { InputTokenCount = 8 });
        var wrapped = generator.WithTokenAccounting(_recorder, o =>
        {
            o.Budgets = manager;
            o.AttributionResolver = _ => new UsageAttribution { UserId = "alice" };
        });

        var call = _detector.Run(() => wrapped.GenerateAsync(["a", "b"]));
        await call;

        store.Calls.ShouldBe(2, "reserve, commit");
        _detector.Blocked.ShouldBe(0, "a thread blocked on the budget store (sync over async)");
        _detector.Unwatched.ShouldBe(0);
        (await manager.GetUsedAsync("daily", Alice)).ShouldBe(8m);
    }

    [Fact]
    public void Detector_SyncOverAsyncOnTheStore_IsCounted()
    {
        // The detector itself: the synchronous API blocks on this store, and is seen doing so.
        var (manager, _) = Budgets();

        _detector.Run(() => manager.Reserve(BudgetAmount.FromTokens(1), Alice));

        _detector.Blocked.ShouldBe(1);
    }

    /// <summary>A chat client that streams its updates synchronously (no hop to the thread pool).</summary>
    private sealed class InlineStreamingClient(params ChatResponseUpdate[] updates) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            foreach (var update in updates)
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, "gpt-4o") : null;

        public void Dispose()
        {
        }
    }
}
