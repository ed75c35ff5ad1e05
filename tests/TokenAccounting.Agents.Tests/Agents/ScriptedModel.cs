using System.Runtime.CompilerServices;

namespace TokenAccounting.Agents.Tests.Agents;

/// <summary>A scripted chat model: each call answers with the next scripted response (streamed as content, then usage).</summary>
internal sealed class ScriptedModel(string model, params Func<IReadOnlyList<ChatMessage>, ChatResponse>[] script) : IChatClient
{
    private int _next;

    public int CallCount => _next;

    public static ChatResponse Text(string text, long input, long output) =>
        new(new ChatMessage(ChatRole.Assistant, text)) { Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output } };

    public static ChatResponse Call(string function, string query, long input, long output) =>
        new(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-" + function, function, new Dictionary<string, object?> { ["query"] = query })]))
        {
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output },
        };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(Next(messages));

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = Next(messages);
        foreach (var content in response.Messages[0].Contents)
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, [content]) { ModelId = model };
        }

        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(response.Usage!)]) { ModelId = model };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, model)
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private ChatResponse Next(IEnumerable<ChatMessage> messages)
    {
        var index = Interlocked.Increment(ref _next) - 1;
        if (index >= script.Length)
        {
            throw new InvalidOperationException($"The {model} script has {script.Length} responses; call {index + 1} has none.");
        }

        return script[index]([.. messages]);
    }
}
