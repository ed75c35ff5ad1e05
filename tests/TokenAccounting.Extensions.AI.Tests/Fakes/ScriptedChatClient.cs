using System.Runtime.CompilerServices;

namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>
/// An <see cref="IChatClient"/> that plays a script: a response (or an exception) for non-streaming calls, and a
/// list of steps for streams. Each call can advance a <see cref="ManualTimeProvider"/> to simulate latency.
/// </summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly ChatClientMetadata? _metadata;

    public ScriptedChatClient(ChatClientMetadata? metadata = null)
    {
        _metadata = metadata;
    }

    public Func<ChatResponse>? Respond { get; set; }

    public List<StreamStep> Stream { get; } = [];

    public ManualTimeProvider? Clock { get; set; }

    public TimeSpan CallDuration { get; set; }

    public int CallCount { get; private set; }

    public ChatOptions? LastOptions { get; private set; }

    public Exception? GetServiceThrows { get; set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        CallCount++;
        LastOptions = options;
        cancellationToken.ThrowIfCancellationRequested();
        Clock?.Advance(CallDuration);
        return Task.FromResult((Respond ?? throw new InvalidOperationException("No response scripted."))());
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CallCount++;
        LastOptions = options;
        foreach (var step in Stream)
        {
            await Task.Yield();
            Clock?.Advance(CallDuration);
            step.BeforeYield?.Invoke();
            cancellationToken.ThrowIfCancellationRequested();
            if (step.Throw is { } exception)
            {
                throw exception;
            }

            yield return step.Update!;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        if (GetServiceThrows is { } exception)
        {
            throw exception;
        }

        return serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }

    public static StreamStep Text(string text) => new() { Update = new ChatResponseUpdate(ChatRole.Assistant, text) };

    public static StreamStep Usage(long? input, long? output, string? modelId = null) => new()
    {
        Update = new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = output })])
        {
            ModelId = modelId,
        },
    };

    public static StreamStep Fault(Exception exception) => new() { Throw = exception };
}

internal sealed class StreamStep
{
    public ChatResponseUpdate? Update { get; init; }

    public Exception? Throw { get; init; }

    public Action? BeforeYield { get; init; }
}
