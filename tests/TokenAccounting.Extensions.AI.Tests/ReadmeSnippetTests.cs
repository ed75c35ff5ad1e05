using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.Extensions.AI.Tests.Fakes;

namespace TokenAccounting.Extensions.AI.Tests;

/// <summary>The registration docs/extensions-ai.md shows (the docs' snippets are compiled by the packaging tests; this one also runs it), so what it says stays true.</summary>
public sealed class ReadmeSnippetTests
{
    [Fact]
    public async Task AddAccountedChat_AsInTheReadme_RecordsEveryRoundTripAndEmbedding()
    {
        var model = new ToolLoopModel { ToolRounds = 0 };
        var embedder = new ScriptedEmbeddingGenerator(new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small")).Respond(new UsageDetails { TotalTokenCount = 4 });
        await using var provider = AddAccountedChat(new ServiceCollection(), model, embedder).BuildServiceProvider();

        await provider.GetRequiredService<IChatClient>().GetResponseAsync("hi");
        await provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>().GenerateAsync(["hi"]);
        await provider.GetRequiredService<IUsageRecorder>().FlushAsync();

        var records = provider.GetRequiredService<InMemoryUsageSink>().Records;
        records.Select(r => (r.Operation, r.Tokens, r.Route)).ShouldBe(
        [
            (UsageOperation.Chat, new TokenCounts(100, 10), "/support/answer"),
            (UsageOperation.Embeddings, new TokenCounts(4, 0), (string?)null),
        ]);
        records[0].Cost.ShouldNotBeNull(); // priced by the built-in catalog
    }

    static IServiceCollection AddAccountedChat(IServiceCollection services, IChatClient openAiClient, IEmbeddingGenerator<string, Embedding<float>> embedder)
    {
        services.AddTokenAccounting().AddPricing().AddInMemorySink();
        services.AddChatClient(openAiClient)
            .UseFunctionInvocation()
            .UseOpenTelemetry()
            .UseTokenAccounting(o => o.AttributionResolver = (messages, options) => new UsageAttribution { Route = "/support/answer" });
        services.AddEmbeddingGenerator(embedder).UseTokenAccounting();
        return services;
    }
}
