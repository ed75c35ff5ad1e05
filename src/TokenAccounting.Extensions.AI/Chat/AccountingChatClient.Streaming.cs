using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenAccounting;

public sealed partial class AccountingChatClient
{
    /// <inheritdoc />
    /// <remarks>
    /// Accounting starts when enumeration starts (as the inner call does). The record is written when the stream
    /// ends, however it ends: completed (<see cref="UsageOutcome.Succeeded"/>), faulted
    /// (<see cref="UsageOutcome.Failed"/>), cancelled or disposed early by its consumer
    /// (<see cref="UsageOutcome.Cancelled"/>). Every <see cref="UsageContent"/> is added up (see
    /// <see cref="TokenAccountingChatClientOptions.StreamingUsageIsCumulative"/>); a side never reported is
    /// estimated.
    /// </remarks>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var call = await BeginAsync(messages, options, cancellationToken).ConfigureAwait(false);
        call.IsStreaming = true;

        IAsyncEnumerator<ChatResponseUpdate> updates;
        try
        {
            updates = base.GetStreamingResponseAsync(messages, call.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception exception)
        {
            await EndAsync(call, OutcomeOf(exception)).ConfigureAwait(false);
            throw;
        }

        // Stays Cancelled unless the stream completes or faults: a consumer that stops early lands in finally.
        var outcome = UsageOutcome.Cancelled;
        try
        {
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = updates.Current;
                }
                catch (Exception exception)
                {
                    outcome = OutcomeOf(exception);
                    throw;
                }

                Observe(call, update);
                yield return update;
            }

            outcome = UsageOutcome.Succeeded;
        }
        finally
        {
            try
            {
                await updates.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                await EndAsync(call, outcome).ConfigureAwait(false);
            }
        }
    }

    private void Observe(ChatCall call, ChatResponseUpdate update)
    {
        call.ResponseModel ??= update.ModelId;
        call.RawFirstUpdate ??= update.RawRepresentation;
        var contents = update.Contents;
        var carriesContent = false;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is UsageContent usage)
            {
                Accumulate(call, usage.Details);
                call.RawUsage = usage.RawRepresentation ?? update.RawRepresentation ?? call.RawUsage;
            }
            else
            {
                carriesContent = true;
            }
        }

        if (carriesContent)
        {
            call.ChunkCount++;
        }
    }

    private void Accumulate(ChatCall call, UsageDetails? details)
    {
        if (details is null)
        {
            return;
        }

        try
        {
            if (call.Usage is not { } total)
            {
                // Copy: the update belongs to the consumer, who may keep and change it.
                total = call.Usage = new UsageDetails();
                total.Add(details);
            }
            else if (_cumulativeStreamingUsage)
            {
                Overwrite(total, details);
            }
            else
            {
                total.Add(details);
            }
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            ReportFailure(exception, "adding streamed usage", call.Model);
        }
    }

    /// <summary>Cumulative snapshots: every count the latest snapshot reports replaces the one before.</summary>
    private static void Overwrite(UsageDetails total, UsageDetails latest)
    {
        total.InputTokenCount = latest.InputTokenCount ?? total.InputTokenCount;
        total.OutputTokenCount = latest.OutputTokenCount ?? total.OutputTokenCount;
        total.TotalTokenCount = latest.TotalTokenCount ?? total.TotalTokenCount;
        total.CachedInputTokenCount = latest.CachedInputTokenCount ?? total.CachedInputTokenCount;
        total.ReasoningTokenCount = latest.ReasoningTokenCount ?? total.ReasoningTokenCount;
        if (latest.AdditionalCounts is { Count: > 0 } counts)
        {
            var target = total.AdditionalCounts ??= [];
            foreach (var pair in counts)
            {
                target[pair.Key] = pair.Value;
            }
        }
    }
}
