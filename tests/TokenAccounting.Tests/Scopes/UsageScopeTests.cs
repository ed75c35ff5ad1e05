namespace TokenAccounting.Tests.Scopes;

public sealed class UsageScopeTests : IAsyncLifetime
{
    private readonly InMemoryUsageSink _sink = new();
    private UsageRecorder _recorder = null!;

    public Task InitializeAsync()
    {
        _recorder = UsageRecorder.Create(_sink);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _recorder.DisposeAsync();

    [Fact]
    public void Record_NestedScopes_EachScopeReceivesChildUsageExactlyOnce()
    {
        using var outer = UsageScope.Begin("run");
        using (var inner = UsageScope.Begin("step"))
        {
            _recorder.Record(Usage.Chat("gpt-4o", 100, 10));
            inner.Totals.Tokens.ShouldBe(new TokenCounts(100, 10));
            inner.Totals.RequestCount.ShouldBe(1);
        }

        _recorder.Record(Usage.Chat("gpt-4o", 5, 1));

        outer.Totals.Tokens.ShouldBe(new TokenCounts(105, 11));
        outer.Totals.RequestCount.ShouldBe(2);
    }

    [Fact]
    public async Task Totals_PricedAndUnpricedRecords_SumThePricedCostAndCountTheUnpricedInEveryScope()
    {
        var catalog = PriceCatalog.Create([new ModelPrice { Provider = "openai", Model = "gpt-4o", Input = 2m, Output = 8m }]);
        await using var recorder = new UsageRecorder([new InMemoryUsageSink()], priceCatalog: catalog);
        using var outer = UsageScope.Begin("run");
        using var inner = UsageScope.Begin("step");

        recorder.Record(Usage.Chat("gpt-4o", 1_000_000, 0));
        recorder.Record(Usage.Chat("unknown-model", 5, 5));
        recorder.Record(Usage.Chat("unknown-model", 5, 5));
        await recorder.FlushAsync();

        foreach (var scope in new[] { outer, inner })
        {
            scope.Totals.RequestCount.ShouldBe(3);
            scope.Totals.Cost!.Total.ShouldBe(2m);
            scope.Totals.UnpricedRequestCount.ShouldBe(2);
            scope.Totals.Find(UsageOperation.Chat, "gpt-4o")!.UnpricedRequestCount.ShouldBe(0);
            var unknown = scope.Totals.Find(UsageOperation.Chat, "unknown-model")!;
            unknown.Cost.ShouldBeNull("nothing priced: cost null, not zero");
            unknown.UnpricedRequestCount.ShouldBe(2);
        }
    }

    [Fact]
    public async Task Record_64ParallelSiblingScopes_EachSeesOwnAndParentSeesExactSum()
    {
        using var parent = UsageScope.Begin("parent");
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(1, 64).Select(i => Task.Run(async () =>
        {
            using var child = UsageScope.Begin($"child-{i}");
            await start.Task;
            for (var n = 0; n < 100; n++)
            {
                _recorder.Record(Usage.Chat("gpt-4o", i, 1));
                await Task.Yield();
            }

            return (i, child.Totals);
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(tasks);

        foreach (var (i, totals) in results)
        {
            totals.Tokens.ShouldBe(new TokenCounts(100L * i, 100), $"child {i}");
            totals.RequestCount.ShouldBe(100);
        }

        parent.Totals.Tokens.Input.ShouldBe(100L * Enumerable.Range(1, 64).Sum());
        parent.Totals.Tokens.Output.ShouldBe(64 * 100);
        parent.Totals.RequestCount.ShouldBe(6400);
    }

    [Fact]
    public async Task Record_TaskStartedInsideScope_IsAttributedToScope()
    {
        using var scope = UsageScope.Begin("fan-out");
        await Task.WhenAll(
            Task.Run(() => _recorder.Record(Usage.Chat("gpt-4o", 7, 3))),
            Task.Factory.StartNew(() => _recorder.Record(Usage.Chat("gpt-4o", 1, 1)), CancellationToken.None, TaskCreationOptions.None, TaskScheduler.Default));

        scope.Totals.Tokens.ShouldBe(new TokenCounts(8, 4));
    }

    [Fact]
    public void Totals_ChatAndEmbeddings_AreKeptApartAndPerModel()
    {
        using var scope = UsageScope.Begin("mixed");
        _recorder.Record(Usage.Chat("gpt-4o", 100, 20));
        _recorder.Record(Usage.Chat("gpt-4o-mini", 50, 5));
        _recorder.Record(Usage.Embedding("text-embedding-3-small", 300));

        var totals = scope.Totals;
        totals.ForOperation(UsageOperation.Chat).ShouldBe(new TokenCounts(150, 25));
        totals.ForOperation(UsageOperation.Embeddings).ShouldBe(new TokenCounts(300, 0));
        totals.ForModel("gpt-4o-mini").ShouldBe(new TokenCounts(50, 5));
        totals.Find(UsageOperation.Embeddings, "text-embedding-3-small")!.RequestCount.ShouldBe(1);
        totals.Find(UsageOperation.Chat, "text-embedding-3-small").ShouldBeNull();
        totals.Entries.Count.ShouldBe(3);
    }

    [Fact]
    public void Dispose_OutOfOrder_DoesNotThrowAndInnerKeepsReceiving()
    {
        var outer = UsageScope.Begin("outer");
        var inner = UsageScope.Begin("inner");

        Should.NotThrow(outer.Dispose);
        UsageScope.Current.ShouldBeSameAs(inner);
        _recorder.Record(Usage.Chat("m", 10, 1));

        inner.Totals.Tokens.Input.ShouldBe(10);
        outer.Totals.Tokens.Input.ShouldBe(0, "a disposed scope stops receiving");

        inner.Dispose();
        UsageScope.Current.ShouldBeNull("the stack unwinds past the disposed outer scope");
    }

    [Fact]
    public void Dispose_Twice_DoesNotThrowOrPopParent()
    {
        using var parent = UsageScope.Begin("parent");
        var child = UsageScope.Begin("child");
        child.Dispose();
        Should.NotThrow(child.Dispose);

        UsageScope.Current.ShouldBeSameAs(parent);
    }

    [Fact]
    public async Task Dispose_OnAnotherFlow_DoesNotThrowOrCorruptTheOwningFlow()
    {
        using var parent = UsageScope.Begin("parent");
        var child = UsageScope.Begin("child");

        await Task.Run(child.Dispose);

        // The owning flow still has the child as its innermost object, but it is disposed: records skip it.
        UsageScope.Current.ShouldBeSameAs(parent);
        _recorder.Record(Usage.Chat("m", 4, 2));
        parent.Totals.Tokens.Input.ShouldBe(4);
        child.Totals.Tokens.Input.ShouldBe(0);

        using var sibling = UsageScope.Begin("sibling");
        sibling.Parent.ShouldBeSameAs(parent);
        sibling.Path.ShouldBe("parent/sibling");
    }

    [Fact]
    public async Task Record_InheritsUserTenantAndTagsFromInnermostScopeThatSetsThem()
    {
        using var tenantScope = UsageScope.Begin("tenant", userId: null, tenantId: "acme", tags: new Dictionary<string, string> { ["feature"] = "search", ["tier"] = "gold" });
        using var userScope = UsageScope.Begin("user", userId: "alice", tenantId: null, tags: new Dictionary<string, string> { ["feature"] = "summarize" });

        _recorder.Record(Usage.Chat("gpt-4o", 1, 1));
        _recorder.Record(Usage.Chat("gpt-4o", 2, 1) with { UserId = "bob", TenantId = "globex", Tags = new Dictionary<string, string> { ["tier"] = "free" } });
        await _recorder.FlushAsync();

        var inherited = _sink.Records.Single(r => r.Tokens.Input == 1);
        inherited.UserId.ShouldBe("alice");
        inherited.TenantId.ShouldBe("acme");
        inherited.Tags!["feature"].ShouldBe("summarize");
        inherited.Tags["tier"].ShouldBe("gold");
        inherited.ScopePath.ShouldBe("tenant/user");

        var own = _sink.Records.Single(r => r.Tokens.Input == 2);
        own.UserId.ShouldBe("bob");
        own.TenantId.ShouldBe("globex");
        own.Tags!["tier"].ShouldBe("free", "a record's own tag wins");
        own.Tags["feature"].ShouldBe("summarize", "other inherited tags still apply");
    }

    [Fact]
    public void Begin_EmptyName_ThrowsNamingTheParameter()
    {
        Should.Throw<ArgumentException>(() => UsageScope.Begin(" ")).ParamName.ShouldBe("name");
    }

    [Fact]
    public void Record_BadRecordInsideScope_AddsNothingToTheScope()
    {
        using var scope = UsageScope.Begin("s");
        Should.Throw<ArgumentException>(() => _recorder.Record(new UsageRecord { Model = "", Tokens = new TokenCounts(5, 5) }));
        scope.Totals.RequestCount.ShouldBe(0);
    }

    [Fact]
    public async Task Record_InheritsApiKeyIdAndRouteFromInnermostScopeThatSetsThem()
    {
        using var request = UsageScope.Begin("request", userId: "alice", tenantId: "acme", apiKeyId: "key-1", route: "/chat/{id}");
        using var step = UsageScope.Begin("step");

        _recorder.Record(Usage.Chat("gpt-4o", 3, 1));
        _recorder.Record(Usage.Chat("gpt-4o", 4, 1) with { ApiKeyId = "key-2", Route = "/own" });
        await _recorder.FlushAsync();

        var inherited = _sink.Records.Single(r => r.Tokens.Input == 3);
        inherited.ApiKeyId.ShouldBe("key-1");
        inherited.Route.ShouldBe("/chat/{id}");
        inherited.UserId.ShouldBe("alice");
        inherited.ScopePath.ShouldBe("request/step");
        _sink.Rollups.Where(r => r.Key.ApiKeyId == "key-1").Sum(r => r.Tokens.Input).ShouldBe(3, "rollups are keyed by the inherited API key id");

        var own = _sink.Records.Single(r => r.Tokens.Input == 4);
        own.ApiKeyId.ShouldBe("key-2");
        own.Route.ShouldBe("/own");
        BudgetSubject.FromCurrentScope().ApiKeyId.ShouldBe("key-1");
    }
}
