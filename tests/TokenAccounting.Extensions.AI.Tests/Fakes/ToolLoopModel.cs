using System.Runtime.CompilerServices;

namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>
/// A scripted model for tool loops: while the conversation holds fewer tool results than <see cref="ToolRounds"/>,
/// it asks for the <c>lookup</c> tool; then it answers. Round trip <c>n</c> (0-based) reports <see cref="UsageOf"/>(n),
/// streamed as one text or call update followed by one usage update.
/// </summary>
internal sealed class ToolLoopModel(string model = "gpt-4o-mini") : IChatClient
{
    public int ToolRounds { get; init; } = 1;

    public Func<int, UsageDetails> UsageOf { get; init; } = round => new UsageDetails { InputTokenCount = 100 + (50 * round), OutputTokenCount = 10 + round };

    public int CallCount { get; private set; }

    public List<int> HistoryLengths { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (message, usage) = Next(messages);
        return Task.FromResult(new ChatResponse(message) { Usage = usage, ModelId = model + "-2024-07-18" });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (message, usage) = Next(messages);
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, message.Contents) { ModelId = model + "-2024-07-18", MessageId = "m" + CallCount };
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)]) { MessageId = "m" + CallCount };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("openai", null, model)
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    private (ChatMessage Message, UsageDetails Usage) Next(IEnumerable<ChatMessage> messages)
    {
        var history = messages.ToList();
        HistoryLengths.Add(history.Count);
        var round = CallCount++;
        var toolResults = history.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Count();
        var message = toolResults < ToolRounds
            ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-" + toolResults, "lookup", new Dictionary<string, object?> { ["query"] = "q" + toolResults })])
            : new ChatMessage(ChatRole.Assistant, "done");
        return (message, UsageOf(round));
    }
}
