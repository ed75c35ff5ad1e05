using Microsoft.Extensions.AI;

namespace AgentLoop;

/// <summary>
/// A scripted model (no network) behind two agents. Offered the <c>search</c> tool (the researcher), it searches
/// twice, then answers; offered the <c>researcher</c> tool (the assistant), it delegates once, then answers. Usage
/// grows with the conversation, as a real model's does, and later round trips hit the prompt cache.
/// </summary>
internal sealed class ToolLoopChatClient : IChatClient
{
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var history = messages.ToList();
        // Only this turn's tool results count: the session replays earlier turns too.
        var turnStart = history.FindLastIndex(m => m.Role == ChatRole.User);
        var toolResults = history.Skip(turnStart).SelectMany(m => m.Contents).OfType<FunctionResultContent>().Count();
        var tools = options?.Tools?.Select(t => t.Name).ToHashSet() ?? [];
        var prompt = 300 + history.Sum(m => (m.Text.Length / 4) + 20);
        var question = history.Last(m => m.Role == ChatRole.User).Text;

        ChatMessage message;
        long output;
        if (tools.Contains("search") && toolResults < 2)
        {
            message = Call($"search-{toolResults}", "search", question + (toolResults == 0 ? "" : " (more)"));
            output = 40;
        }
        else if (tools.Contains("researcher") && toolResults == 0)
        {
            message = Call("delegate-0", "researcher", question);
            output = 30;
        }
        else
        {
            message = new ChatMessage(ChatRole.Assistant, tools.Contains("search") ? "Three sources, summarized." : "Here is the answer, with sources.");
            output = tools.Contains("search") ? 150 : 250;
        }

        output = Math.Min(options?.MaxOutputTokens ?? int.MaxValue, output);
        return Task.FromResult(new ChatResponse(message)
        {
            ModelId = "gpt-4o-mini-2024-07-18",
            FinishReason = message.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
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

    private static ChatMessage Call(string id, string tool, string query) =>
        new(ChatRole.Assistant, [new FunctionCallContent(id, tool, new Dictionary<string, object?> { ["query"] = query })]);
}
