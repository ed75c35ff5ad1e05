using Microsoft.Extensions.AI;

namespace QuickStart;

/// <summary>
/// A fake model (no network) behind the real <see cref="IChatClient"/> interface: it answers from a script and
/// reports usage the way OpenAI's API does through Microsoft.Extensions.AI, with the prompt growing every turn and
/// a prompt cache kicking in after the first call.
/// </summary>
internal sealed class ScriptedChatClient(string model) : IChatClient
{
    private int _calls;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = Interlocked.Increment(ref _calls);
        var prompt = messages.Sum(m => (m.Text.Length / 4) + 4);
        var completion = 40 + (7 * call % 30);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, $"step {call}: done"))
        {
            ModelId = options?.ModelId ?? model,
            Usage = new UsageDetails
            {
                InputTokenCount = prompt,
                CachedInputTokenCount = call == 1 ? 0 : prompt / 2,
                OutputTokenCount = completion,
                ReasoningTokenCount = completion / 4,
            },
        };
        return Task.FromResult(response);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("The quick start does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, model) : null;

    public void Dispose()
    {
    }
}

/// <summary>A fake embedding model that reports the token count of each input.</summary>
internal sealed class ScriptedEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var inputs = values.ToList();
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(inputs.Select(_ => new Embedding<float>(new float[] { 0.1f, 0.2f })))
        {
            Usage = new UsageDetails { InputTokenCount = inputs.Sum(v => (v.Length / 4) + 1), TotalTokenCount = inputs.Sum(v => (v.Length / 4) + 1) },
        };
        return Task.FromResult(embeddings);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("openai", null, "text-embedding-3-small") : null;

    public void Dispose()
    {
    }
}
