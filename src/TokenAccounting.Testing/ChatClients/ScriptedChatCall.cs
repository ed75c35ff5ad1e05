using Microsoft.Extensions.AI;

namespace TokenAccounting.Testing;

/// <summary>A call a <see cref="ScriptedChatClient"/> received.</summary>
public sealed class ScriptedChatCall
{
    internal ScriptedChatCall(int number, IReadOnlyList<ChatMessage> messages, ChatOptions? options, bool streaming)
    {
        Number = number;
        Messages = messages;
        Options = options;
        Streaming = streaming;
    }

    /// <summary>Gets the call's number, from 1.</summary>
    public int Number { get; }

    /// <summary>Gets the messages of the call (a snapshot of the list given).</summary>
    public IReadOnlyList<ChatMessage> Messages { get; }

    /// <summary>Gets the options of the call, or null.</summary>
    public ChatOptions? Options { get; }

    /// <summary>Gets whether it was a streaming call.</summary>
    public bool Streaming { get; }
}
