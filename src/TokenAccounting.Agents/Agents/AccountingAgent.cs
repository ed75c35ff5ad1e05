using System.Runtime.CompilerServices;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace TokenAccounting;

/// <summary>
/// An <see cref="AIAgent"/> middleware that runs its inner agent inside a <see cref="UsageScope"/> named after the
/// agent and tagged with the agent and its session. Added by <c>AIAgentBuilder.UseTokenAccounting()</c>.
/// </summary>
internal sealed class AccountingAgent : DelegatingAIAgent
{
    private readonly TokenAccountingAgentOptions _options;

    public AccountingAgent(AIAgent innerAgent, TokenAccountingAgentOptions options)
        : base(innerAgent)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.UserIdKey))
        {
            throw new ArgumentException("TokenAccountingAgentOptions.UserIdKey must be a non-blank key.", nameof(options));
        }

        if (string.IsNullOrWhiteSpace(options.TenantIdKey))
        {
            throw new ArgumentException("TokenAccountingAgentOptions.TenantIdKey must be a non-blank key.", nameof(options));
        }

        _options = options;
    }

    protected override async Task<AgentResponse> RunCoreAsync(
        IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, CancellationToken cancellationToken = default)
    {
        // An async method's AsyncLocal changes end with it, so the scope covers exactly this run.
        using var scope = Begin(session, options);
        return await InnerAgent.RunAsync(messages, session, options, cancellationToken).ConfigureAwait(false);
    }

    protected override async IAsyncEnumerable<AgentResponseUpdate> RunCoreStreamingAsync(
        IEnumerable<ChatMessage> messages, AgentSession? session = null, AgentRunOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // An async iterator resumes on its consumer's ExecutionContext after every yield, which would lose the scope:
        // the inner stream is started, advanced and disposed on the context captured with the scope open instead.
        UsageScope? scope = null;
        IAsyncEnumerator<AgentResponseUpdate>? updates = null;
        var context = ExecutionContext.Capture();
        if (context is null)
        {
            scope = Begin(session, options);
        }
        else
        {
            ExecutionContext.Run(context, _ =>
            {
                scope = Begin(session, options);
                context = ExecutionContext.Capture();
            }, null);
        }

        try
        {
            Run(context, () => updates = InnerAgent.RunStreamingAsync(messages, session, options, cancellationToken).GetAsyncEnumerator(cancellationToken));
            while (true)
            {
                var next = default(ValueTask<bool>);
                Run(context, () => next = updates!.MoveNextAsync());
                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                yield return updates!.Current;
            }
        }
        finally
        {
            if (updates is not null)
            {
                var disposal = default(ValueTask);
                Run(context, () => disposal = updates.DisposeAsync());
                await disposal.ConfigureAwait(false);
            }

            Run(context, () => scope?.Dispose());
        }
    }

    private static void Run(ExecutionContext? context, Action action)
    {
        if (context is null)
        {
            // Flow is suppressed: nothing to restore, so the scope is whatever the caller's flow has.
            action();
            return;
        }

        ExecutionContext.Run(context, static state => ((Action)state!)(), action);
    }

    private UsageScope Begin(AgentSession? session, AgentRunOptions? options)
    {
        var name = _options.ScopeName?.Invoke(this);
        if (string.IsNullOrWhiteSpace(name))
        {
            name = string.IsNullOrWhiteSpace(Name) ? Id : Name;
        }

        var tags = new Dictionary<string, string>(4, StringComparer.Ordinal) { [TokenAccountingAgentOptions.AgentIdTag] = Id };
        if (!string.IsNullOrWhiteSpace(Name))
        {
            tags[TokenAccountingAgentOptions.AgentNameTag] = Name;
        }

        if (session is not null)
        {
            tags[TokenAccountingAgentOptions.SessionIdTag] = SessionId(session);
            if (session.GetService<ChatClientAgentSession>() is { ConversationId: { Length: > 0 } conversation })
            {
                tags[TokenAccountingAgentOptions.ConversationIdTag] = conversation;
            }
        }

        return UsageScope.Begin(name, Lookup(options, _options.UserIdKey), Lookup(options, _options.TenantIdKey), tags);
    }

    /// <summary>The session's accounting id: created on its first accounted run, kept in its state bag.</summary>
    private static string SessionId(AgentSession session)
    {
        if (session.StateBag.TryGetValue<string>(TokenAccountingAgentOptions.SessionIdStateKey, out var existing) && !string.IsNullOrWhiteSpace(existing))
        {
            return existing;
        }

        var created = Guid.NewGuid().ToString("N");
        session.StateBag.SetValue(TokenAccountingAgentOptions.SessionIdStateKey, created);
        return created;
    }

    private static string? Lookup(AgentRunOptions? options, string key)
    {
        if (options?.AdditionalProperties is { } properties && properties.TryGetValue(key, out var value) && value is string { Length: > 0 } text)
        {
            return text;
        }

        return options is ChatClientAgentRunOptions { ChatOptions.AdditionalProperties: { } chat } && chat.TryGetValue(key, out var chatValue) && chatValue is string { Length: > 0 } chatText
            ? chatText
            : null;
    }
}
