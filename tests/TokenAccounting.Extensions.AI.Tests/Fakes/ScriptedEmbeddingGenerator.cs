namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>An embedding generator that returns one fixed vector per input, with scripted usage or an exception.</summary>
internal sealed class ScriptedEmbeddingGenerator(EmbeddingGeneratorMetadata? metadata = null) : IEmbeddingGenerator<string, Embedding<float>>
{
    public UsageDetails? Usage { get; set; }

    public string? ResponseModel { get; set; }

    public Exception? Throw { get; set; }

    public int CallCount { get; private set; }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        CallCount++;
        cancellationToken.ThrowIfCancellationRequested();
        if (Throw is { } exception)
        {
            throw exception;
        }

        var embeddings = new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[] { 1f, 0f }) { ModelId = ResponseModel }))
        {
            Usage = Usage,
        };
        return Task.FromResult(embeddings);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(EmbeddingGeneratorMetadata) ? metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }
}
