using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenAccounting.Testing;

/// <summary>
/// An <see cref="IChatClient"/> that plays a script, one entry per call, in order: a response with
/// <see cref="UsageDetails"/>, a stream (usage on its last update, or none), or a failure or cancellation at a
/// chosen point. A call with nothing scripted throws <see cref="InvalidOperationException"/> naming the call.
/// </summary>
/// <remarks>
/// Either kind of entry serves either kind of call: a response scripted with <see cref="Respond(ChatResponse)"/>
/// is streamed as its updates, and a stream scripted with <see cref="Stream(ScriptedStreamStep[])"/> answers a
/// non-streaming call with its updates combined (failing where the stream fails). Every call checks the caller's
/// cancellation token first. Thread-safe.
/// </remarks>
/// <example>
/// <code>
/// var client = new ScriptedChatClient(new ChatClientMetadata("openai", defaultModelId: "gpt-4o"))
///     .Respond("Hello", inputTokens: 12, outputTokens: 3)
///     .StreamText(["Hel", "lo"], new UsageDetails { InputTokenCount = 12, OutputTokenCount = 2 })
///     .Fail(new HttpRequestException("503"));
/// </code>
/// </example>
public sealed class ScriptedChatClient : IChatClient
{
    private readonly object _gate = new();
    private readonly Queue<ScriptedStreamStep[]> _script = new();
    private readonly List<ScriptedChatCall> _calls = [];
    private readonly ChatClientMetadata? _metadata;

    /// <summary>Creates a client with an empty script.</summary>
    /// <param name="metadata">What <see cref="GetService"/> returns for <see cref="ChatClientMetadata"/> (provider and default model), or null.</param>
    public ScriptedChatClient(ChatClientMetadata? metadata = null)
    {
        _metadata = metadata;
    }

    /// <summary>Gets or sets an action run at the start of every call, before its entry plays (for example to advance a fake clock).</summary>
    /// <value>The default value is null.</value>
    public Action<ScriptedChatCall>? OnCall { get; set; }

    /// <summary>Gets or sets an exception <see cref="GetService"/> throws (a misbehaving client), or null.</summary>
    /// <value>The default value is null.</value>
    public Exception? GetServiceFailure { get; set; }

    /// <summary>Gets the calls received so far, in order.</summary>
    public IReadOnlyList<ScriptedChatCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    /// <summary>Gets the number of calls received so far.</summary>
    public int CallCount
    {
        get
        {
            lock (_gate)
            {
                return _calls.Count;
            }
        }
    }

    /// <summary>Gets the number of scripted entries not played yet.</summary>
    public int Remaining
    {
        get
        {
            lock (_gate)
            {
                return _script.Count;
            }
        }
    }

    /// <summary>Scripts a response of assistant text with the given usage (no usage when both counts are null).</summary>
    /// <param name="text">The assistant's text.</param>
    /// <param name="inputTokens">The reported input tokens, or null.</param>
    /// <param name="outputTokens">The reported output tokens, or null.</param>
    /// <param name="modelId">The response's model id, or null.</param>
    /// <returns>This client, to script more.</returns>
    public ScriptedChatClient Respond(string text, long? inputTokens, long? outputTokens, string? modelId = null) =>
        Respond(text, inputTokens is null && outputTokens is null ? null : new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens }, modelId);

    /// <summary>Scripts a response of assistant text with <paramref name="usage"/>.</summary>
    /// <param name="text">The assistant's text.</param>
    /// <param name="usage">The reported usage, or null for a response that reports none.</param>
    /// <param name="modelId">The response's model id, or null.</param>
    /// <returns>This client, to script more.</returns>
    public ScriptedChatClient Respond(string text, UsageDetails? usage = null, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Respond(new ChatResponse(new ChatMessage(ChatRole.Assistant, text)) { Usage = usage, ModelId = modelId });
    }

    /// <summary>Scripts <paramref name="response"/> as given.</summary>
    /// <param name="response">The response.</param>
    /// <returns>This client, to script more.</returns>
    public ScriptedChatClient Respond(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Enqueue(response.ToChatResponseUpdates().Select(ScriptedStreamStep.Yield).ToArray());
    }

    /// <summary>Scripts a stream of text chunks, then — when <paramref name="usage"/> is given — a last update that carries it.</summary>
    /// <param name="chunks">The text of each update.</param>
    /// <param name="usage">The usage reported on the last update, or null for a stream that reports none.</param>
    /// <param name="modelId">The updates' model id, or null.</param>
    /// <returns>This client, to script more.</returns>
    public ScriptedChatClient StreamText(IEnumerable<string> chunks, UsageDetails? usage = null, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var steps = chunks.Select(c => ScriptedStreamStep.Text(c, modelId)).ToList();
        if (usage is not null)
        {
            steps.Add(ScriptedStreamStep.Usage(usage, modelId));
        }

        return Enqueue([.. steps]);
    }

    /// <summary>Scripts a stream of <paramref name="steps"/>: updates, and failures, cancellations or waits at chosen points.</summary>
    /// <param name="steps">The steps, in order.</param>
    /// <returns>This client, to script more.</returns>
    public ScriptedChatClient Stream(params ScriptedStreamStep[] steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (steps.Any(s => s is null))
        {
            throw new ArgumentException("The steps must not contain null.", nameof(steps));
        }

        return Enqueue([.. steps]);
    }

    /// <summary>Scripts a call that throws <paramref name="exception"/> before any response.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>This client, to script more.</returns>
    public ScriptedChatClient Fail(Exception exception) => Enqueue([ScriptedStreamStep.Fail(exception)]);

    /// <summary>Scripts a call that is cancelled before any response (see <see cref="ScriptedStreamStep.Cancel"/>).</summary>
    /// <param name="source">The caller's source to cancel, or null to throw for the call's own token.</param>
    /// <returns>This client, to script more.</returns>
    public ScriptedChatClient Cancel(CancellationTokenSource? source = null) => Enqueue([ScriptedStreamStep.Cancel(source)]);

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var steps = Begin(messages, options, streaming: false, cancellationToken);
        var updates = new List<ChatResponseUpdate>();
        foreach (var step in steps)
        {
            if (await step.RunAsync(cancellationToken).ConfigureAwait(false) is { } update)
            {
                updates.Add(update);
            }
        }

        return updates.ToChatResponse();
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var steps = Begin(messages, options, streaming: true, cancellationToken);
        foreach (var step in steps)
        {
            if (await step.RunAsync(cancellationToken).ConfigureAwait(false) is { } update)
            {
                yield return update;
            }
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (GetServiceFailure is { } failure)
        {
            throw failure;
        }

        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Does nothing: the client holds no resources.</summary>
    public void Dispose()
    {
    }

    private ScriptedChatClient Enqueue(ScriptedStreamStep[] steps)
    {
        lock (_gate)
        {
            _script.Enqueue(steps);
        }

        return this;
    }

    private ScriptedStreamStep[] Begin(IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ScriptedChatCall call;
        lock (_gate)
        {
            call = new ScriptedChatCall(_calls.Count + 1, messages.ToArray(), options, streaming);
            _calls.Add(call);
        }

        OnCall?.Invoke(call);

        // A call cancelled before it starts plays nothing: its entry stays for the next call.
        cancellationToken.ThrowIfCancellationRequested();
        ScriptedStreamStep[]? steps;
        lock (_gate)
        {
            _script.TryDequeue(out steps);
        }

        return steps ?? throw new InvalidOperationException(string.Create(
            CultureInfo.InvariantCulture,
            $"ScriptedChatClient has nothing scripted for call #{call.Number} ({(streaming ? "streaming" : "non-streaming")}); script it with Respond, StreamText, Stream, Fail or Cancel before the call."));
    }
}
