using Microsoft.Extensions.AI;

namespace TokenAccounting.Testing;

/// <summary>
/// One step of a scripted stream (<see cref="ScriptedChatClient.Stream(ScriptedStreamStep[])"/>): an update to yield, a
/// failure or a cancellation to raise at that point, a wait, or an action to run.
/// </summary>
public sealed class ScriptedStreamStep
{
    private ScriptedStreamStep(ChatResponseUpdate? update, Exception? exception, CancellationTokenSource? cancel, bool isCancel, Task? waitFor, Action? action)
    {
        Update = update;
        Exception = exception;
        CancellationSource = cancel;
        IsCancellation = isCancel;
        WaitFor = waitFor;
        Action = action;
    }

    /// <summary>Gets the update this step yields, or null.</summary>
    public ChatResponseUpdate? Update { get; }

    /// <summary>Gets the exception this step throws, or null.</summary>
    public Exception? Exception { get; }

    /// <summary>Gets whether this step cancels the call.</summary>
    public bool IsCancellation { get; }

    /// <summary>Gets the source this step cancels before it throws, or null.</summary>
    public CancellationTokenSource? CancellationSource { get; }

    /// <summary>Gets the task this step waits for (honouring the call's cancellation token), or null.</summary>
    public Task? WaitFor { get; }

    /// <summary>Gets the action this step runs, or null.</summary>
    public Action? Action { get; }

    /// <summary>Yields an assistant text update.</summary>
    /// <param name="text">The text.</param>
    /// <param name="modelId">The update's model id, or null.</param>
    public static ScriptedStreamStep Text(string text, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(new ChatResponseUpdate(ChatRole.Assistant, text) { ModelId = modelId }, null, null, false, null, null);
    }

    /// <summary>Yields an update that carries only usage (as providers send it last).</summary>
    /// <param name="inputTokens">The input token count, or null when not reported.</param>
    /// <param name="outputTokens">The output token count, or null when not reported.</param>
    /// <param name="modelId">The update's model id, or null.</param>
    public static ScriptedStreamStep Usage(long? inputTokens, long? outputTokens, string? modelId = null) =>
        Usage(new UsageDetails { InputTokenCount = inputTokens, OutputTokenCount = outputTokens, TotalTokenCount = inputTokens + outputTokens }, modelId);

    /// <summary>Yields an update that carries only <paramref name="usage"/>.</summary>
    /// <param name="usage">The usage.</param>
    /// <param name="modelId">The update's model id, or null.</param>
    public static ScriptedStreamStep Usage(UsageDetails usage, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new(new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(usage)]) { ModelId = modelId }, null, null, false, null, null);
    }

    /// <summary>Yields <paramref name="update"/> as given.</summary>
    /// <param name="update">The update.</param>
    public static ScriptedStreamStep Yield(ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return new(update, null, null, false, null, null);
    }

    /// <summary>Throws <paramref name="exception"/> at this point of the stream (after the steps before it were yielded).</summary>
    /// <param name="exception">The exception.</param>
    public static ScriptedStreamStep Fail(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new(null, exception, null, false, null, null);
    }

    /// <summary>
    /// Cancels at this point: cancels <paramref name="source"/> when given (a caller cancelling mid-stream, so the
    /// caller's token reports cancellation) and throws <see cref="OperationCanceledException"/> for its token, or
    /// for the call's token when no source is given (a cancellation the caller did not ask for, such as a timeout).
    /// </summary>
    /// <param name="source">The caller's source to cancel, or null.</param>
    public static ScriptedStreamStep Cancel(CancellationTokenSource? source = null) => new(null, null, source, true, null, null);

    /// <summary>Waits for <paramref name="task"/> before the next step; the call's cancellation token ends the wait.</summary>
    /// <param name="task">The task, for example a <see cref="TaskCompletionSource"/>'s that the test completes.</param>
    public static ScriptedStreamStep Wait(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return new(null, null, null, false, task, null);
    }

    /// <summary>Runs <paramref name="action"/> at this point (for example to advance a fake clock).</summary>
    /// <param name="action">The action.</param>
    public static ScriptedStreamStep Run(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return new(null, null, null, false, null, action);
    }

    /// <summary>Runs this step: throws, cancels, waits or runs its action; returns the update to yield, or null.</summary>
    internal async ValueTask<ChatResponseUpdate?> RunAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Action?.Invoke();
        if (WaitFor is { } wait)
        {
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (IsCancellation)
        {
            if (CancellationSource is { } source)
            {
                await source.CancelAsync().ConfigureAwait(false);
                throw new OperationCanceledException("Cancelled by the script.", source.Token);
            }

            throw new OperationCanceledException("Cancelled by the script.", cancellationToken);
        }

        if (Exception is { } exception)
        {
            throw exception;
        }

        return Update;
    }
}
