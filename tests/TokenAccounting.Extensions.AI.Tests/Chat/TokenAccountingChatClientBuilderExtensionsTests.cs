using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests.Chat;

public sealed class TokenAccountingChatClientBuilderExtensionsTests
{
    private static readonly List<ChatMessage> Question = [new(ChatRole.User, "hi")];

    private static ScriptedChatClient Model(long input = 100, long output = 20) => ScriptedModels.Answering(input, output);

    [Fact]
    public async Task UseTokenAccounting_AddChatClient_RecordsToTheRegisteredRecorderOnTheRegisteredClock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var recorder = new CapturingRecorder();
        var services = new ServiceCollection();
        services.AddSingleton<IUsageRecorder>(recorder);
        services.AddSingleton<TimeProvider>(clock);
        services.AddChatClient(Model()).UseTokenAccounting();
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        await client.GetResponseAsync(Question);

        var record = recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(100, 20));
        record.Provider.ShouldBe("openai");
        record.Model.ShouldBe("gpt-4o");
        record.StartedAt.ShouldBe(clock.GetUtcNow());
        client.GetService<AccountingChatClient>().ShouldNotBeNull();
    }

    [Fact]
    public async Task UseTokenAccounting_AddKeyedChatClient_EachKeyGetsItsOwnAccountedPipeline()
    {
        var recorder = new CapturingRecorder();
        var services = new ServiceCollection();
        services.AddSingleton<IUsageRecorder>(recorder);
        services.AddKeyedChatClient("small", Model(10, 1)).UseTokenAccounting(o => o.ProviderName = "small-provider");
        services.AddKeyedChatClient("large", Model(1000, 100)).UseTokenAccounting(o => o.ProviderName = "large-provider");
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredKeyedService<IChatClient>("small").GetResponseAsync(Question);
        await provider.GetRequiredKeyedService<IChatClient>("large").GetResponseAsync(Question);

        recorder.Records.Select(r => (r.Provider, r.Tokens)).ShouldBe(
        [
            ("small-provider", new TokenCounts(10, 1)),
            ("large-provider", new TokenCounts(1000, 100)),
        ]);
    }

    [Fact]
    public async Task UseTokenAccounting_WithAddTokenAccounting_RecordsReachTheSinkAttributedByScope()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink();
        services.AddChatClient(Model()).UseTokenAccounting();
        await using var provider = services.BuildServiceProvider();

        using (UsageScope.Begin("answer", userId: "u-7"))
        {
            await provider.GetRequiredService<IChatClient>().GetResponseAsync(Question);
        }

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        var record = provider.GetRequiredService<InMemoryUsageSink>().Records.ShouldHaveSingleItem();
        record.UserId.ShouldBe("u-7");
        record.Tokens.ShouldBe(new TokenCounts(100, 20));
    }

    [Fact]
    public async Task UseTokenAccounting_BudgetsRegistered_RefusesTheCallBeforeTheModel()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink().AddBudgets(new BudgetPolicy
        {
            Name = "tiny",
            Dimension = BudgetDimension.Global,
            Unit = BudgetUnit.Tokens,
            Limit = 10,
            Enforcement = BudgetEnforcement.Hard,
        });
        var model = Model();
        services.AddChatClient(model).UseTokenAccounting();
        await using var provider = services.BuildServiceProvider();

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => provider.GetRequiredService<IChatClient>().GetResponseAsync(Question));

        denied.Policy.Name.ShouldBe("tiny");
        model.CallCount.ShouldBe(0);
    }

    [Fact]
    public async Task UseTokenAccounting_RecorderOverloadWithoutServices_RecordsToTheGivenRecorder()
    {
        var recorder = new CapturingRecorder();
        using var client = new ChatClientBuilder(Model(7, 3)).UseTokenAccounting(recorder, o => o.ProviderName = "custom").Build();

        await client.GetResponseAsync(Question);

        var record = recorder.Records.ShouldHaveSingleItem();
        record.Tokens.ShouldBe(new TokenCounts(7, 3));
        record.Provider.ShouldBe("custom");
    }

    [Fact]
    public void UseTokenAccounting_NoRecorderRegistered_BuildThrowsNamingAddTokenAccounting()
    {
        var builder = new ChatClientBuilder(Model()).UseTokenAccounting();

        var exception = Should.Throw<InvalidOperationException>(() => builder.Build());

        exception.Message.ShouldContain("AddTokenAccounting()");
    }

    [Fact]
    public void UseTokenAccounting_InvalidOptions_BuildThrowsNamingTheOption()
    {
        var builder = new ChatClientBuilder(Model()).UseTokenAccounting(new CapturingRecorder(), o => o.ProviderName = " ");

        Should.Throw<ArgumentException>(() => builder.Build()).Message.ShouldContain("ProviderName");
    }

    [Fact]
    public void UseTokenAccounting_NullArguments_Throw()
    {
        Should.Throw<ArgumentNullException>(() => ((ChatClientBuilder)null!).UseTokenAccounting()).ParamName.ShouldBe("builder");
        Should.Throw<ArgumentNullException>(() => new ChatClientBuilder(Model()).UseTokenAccounting((IUsageRecorder)null!)).ParamName.ShouldBe("recorder");
    }

    [Fact]
    public async Task UseTokenAccounting_AddEmbeddingGenerator_RecordsEmbeddingsToTheRegisteredRecorder()
    {
        var recorder = new CapturingRecorder();
        var services = new ServiceCollection();
        services.AddSingleton<IUsageRecorder>(recorder);
        services.AddEmbeddingGenerator(new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small")).Respond(new UsageDetails { InputTokenCount = 8, TotalTokenCount = 8 })).UseTokenAccounting();
        services.AddKeyedEmbeddingGenerator("other", new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-large")).Respond(new UsageDetails { TotalTokenCount = 5 })).UseTokenAccounting(recorder, o => o.ProviderName = "azure.ai.openai");
        await using var provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>().GenerateAsync(["hello"]);
        await provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("other").GenerateAsync(["hello"]);

        recorder.Records.Select(r => (r.Operation, r.Model, r.Provider, r.Tokens)).ShouldBe(
        [
            (UsageOperation.Embeddings, "text-embedding-3-small", "openai", new TokenCounts(8, 0)),
            (UsageOperation.Embeddings, "text-embedding-3-large", "azure.ai.openai", new TokenCounts(5, 0)),
        ]);
    }

    [Fact]
    public void UseTokenAccounting_EmbeddingNoRecorderRegistered_BuildThrows()
    {
        var builder = new EmbeddingGeneratorBuilder<string, Embedding<float>>(new ScriptedEmbeddingGenerator()).UseTokenAccounting();

        Should.Throw<InvalidOperationException>(() => builder.Build()).Message.ShouldContain("AddTokenAccounting()");
        Should.Throw<ArgumentNullException>(() => ((EmbeddingGeneratorBuilder<string, Embedding<float>>)null!).UseTokenAccounting()).ParamName.ShouldBe("builder");
    }
}
