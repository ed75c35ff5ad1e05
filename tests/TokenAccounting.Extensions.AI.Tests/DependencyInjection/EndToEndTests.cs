using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Extensions.AI.Tests.DependencyInjection;

/// <summary>The middleware against the real recorder and pipeline registered by <c>AddTokenAccounting()</c>.</summary>
public sealed class EndToEndTests
{
    [Fact]
    public async Task WithTokenAccounting_AddTokenAccounting_ChatAndEmbeddingRecordsReachTheSinkAttributedByScope()
    {
        var services = new ServiceCollection();
        services.AddTokenAccounting().AddInMemorySink();
        await using var provider = services.BuildServiceProvider();
        var chat = new ScriptedChatClient(new ChatClientMetadata("openai", null, "gpt-4o")).Respond(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20, CachedInputTokenCount = 60 } }).WithTokenAccounting(provider);
        var embeddings = new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small")).Respond(new UsageDetails { TotalTokenCount = 8 }).WithTokenAccounting(provider);

        using (var scope = UsageScope.Begin("answer", userId: "u-1"))
        {
            await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
            await embeddings.GenerateAsync(["hi"]);
            scope.Totals.Tokens.ShouldBe(new TokenCounts(108, 20, cachedInput: 60));
        }

        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();
        var sink = provider.GetRequiredService<InMemoryUsageSink>();
        sink.Records.Count.ShouldBe(2);
        sink.Records.ShouldAllBe(r => r.UserId == "u-1" && r.Provider == "openai");
        sink.TotalsByOperation()[UsageOperation.Embeddings].Tokens.Input.ShouldBe(8);
        sink.TotalsByOperation()[UsageOperation.Chat].Tokens.ShouldBe(new TokenCounts(100, 20, cachedInput: 60));
    }
}
