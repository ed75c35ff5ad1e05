namespace TokenAccounting.Testing.Tests.ChatClients;

public sealed class ScriptedEmbeddingGeneratorTests
{
    [Fact]
    public async Task GenerateAsync_ScriptedEntries_PlaysUsageFailureAndCancellationInOrder()
    {
        using var caller = new CancellationTokenSource();
        using var generator = new ScriptedEmbeddingGenerator(dimensions: 3)
            .Respond(inputTokens: 12, modelId: "text-embedding-3-small")
            .Fail(new HttpRequestException("429"))
            .Cancel(caller)
            .Respond();

        var first = await generator.GenerateAsync(["a", "b"]);
        (await Should.ThrowAsync<HttpRequestException>(() => generator.GenerateAsync(["c"]))).Message.ShouldBe("429");
        (await Should.ThrowAsync<OperationCanceledException>(() => generator.GenerateAsync(["d"], cancellationToken: caller.Token))).CancellationToken.ShouldBe(caller.Token);
        var last = await generator.GenerateAsync(["e"]);

        first.Count.ShouldBe(2);
        first.Usage!.InputTokenCount.ShouldBe(12);
        first.ShouldAllBe(e => e.ModelId == "text-embedding-3-small" && e.Vector.Length == 3);
        last.Usage.ShouldBeNull();
        generator.Calls.Select(c => string.Join(",", c)).ShouldBe(["a,b", "c", "d", "e"]);
    }

    [Fact]
    public async Task GenerateAsync_NothingScripted_ThrowsNamingTheCall()
    {
        using var generator = new ScriptedEmbeddingGenerator();

        (await Should.ThrowAsync<InvalidOperationException>(() => generator.GenerateAsync(["a"]))).Message.ShouldContain("call #1");
    }

    [Fact]
    public async Task GenerateAsync_CallerAlreadyCancelled_LeavesTheEntryForTheNextCall()
    {
        using var generator = new ScriptedEmbeddingGenerator().Respond(inputTokens: 1);

        await Should.ThrowAsync<OperationCanceledException>(() => generator.GenerateAsync(["a"], cancellationToken: new CancellationToken(canceled: true)));

        generator.Remaining.ShouldBe(1);
    }

    [Fact]
    public void GetService_Metadata_ReturnsTheGivenMetadata()
    {
        var metadata = new EmbeddingGeneratorMetadata("openai", defaultModelId: "text-embedding-3-small");
        using var generator = new ScriptedEmbeddingGenerator(metadata);

        generator.GetService<EmbeddingGeneratorMetadata>().ShouldBeSameAs(metadata);
    }

    [Fact]
    public void Constructor_ZeroDimensions_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new ScriptedEmbeddingGenerator(dimensions: 0)).ParamName.ShouldBe("dimensions");
    }
}
