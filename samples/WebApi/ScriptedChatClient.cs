using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace WebApi;

/// <summary>
/// A fake model (no network) behind the real <see cref="IChatClient"/> interface: it answers from a script and reports
/// usage as OpenAI's API does through Microsoft.Extensions.AI, about one token per four characters of prompt.
/// </summary>
internal sealed class ScriptedChatClient(string model) : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (prompt, completion, text) = Answer(messages);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = options?.ModelId ?? model,
            Usage = new UsageDetails { InputTokenCount = prompt, OutputTokenCount = completion, TotalTokenCount = prompt + completion },
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (prompt, completion, text) = Answer(messages);
        foreach (var word in text.Split(' '))
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = options?.ModelId ?? model };
        }

        yield return new ChatResponseUpdate
        {
            ModelId = options?.ModelId ?? model,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = prompt, OutputTokenCount = completion, TotalTokenCount = prompt + completion })],
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, model) : null;

    public void Dispose()
    {
    }

    private static (int Prompt, int Completion, string Text) Answer(IEnumerable<ChatMessage> messages)
    {
        var prompt = messages.Sum(m => (m.Text.Length / 4) + 4);
        var text = $"You asked {prompt} tokens' worth; here is a scripted answer of forty tokens.";
        return (prompt, 40, text);
    }
}
