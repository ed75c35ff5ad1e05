using Microsoft.Extensions.AI;

namespace AgentLoop;

/// <summary>
/// A scripted model (no network) that behaves like a tool-calling agent: it asks for the <c>search</c> tool a few
/// times, then answers. Usage grows with the conversation, as a real model's does.
/// </summary>
internal sealed class ToolLoopChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var history = messages.ToList();
        var toolResults = history.Count(m => m.Role == ChatRole.Tool);
        var prompt = 300 + history.Sum(m => (m.Text.Length / 4) + 20);
        var message = toolResults < 4
            ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call-{toolResults}", "search", new Dictionary<string, object?> { ["query"] = $"topic {toolResults}" })])
            : new ChatMessage(ChatRole.Assistant, "Here is the final answer, with sources.");
        var output = Math.Min(options?.MaxOutputTokens ?? int.MaxValue, toolResults < 4 ? 60 : 400);
        return Task.FromResult(new ChatResponse(message)
        {
            ModelId = "gpt-4o-mini-2024-07-18",
            FinishReason = toolResults < 4 ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = prompt, CachedInputTokenCount = toolResults == 0 ? 0 : prompt / 2, OutputTokenCount = output },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This sample does not stream.");

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, "gpt-4o-mini") : null;

    public void Dispose()
    {
    }
}
