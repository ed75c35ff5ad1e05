using System.Text;
using Microsoft.Extensions.AI;

namespace TokenAccounting;

/// <summary>Measures the UTF-8 text of requests and responses, for estimates.</summary>
internal static class RequestSize
{
    /// <summary>The UTF-8 bytes of every text content of <paramref name="messages"/> plus the options' instructions.</summary>
    public static long Of(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        long bytes = options?.Instructions is { } instructions ? Encoding.UTF8.GetByteCount(instructions) : 0;
        foreach (var message in messages)
        {
            bytes += Of(message.Contents);
        }

        return bytes;
    }

    /// <summary>The UTF-8 bytes of the text contents of <paramref name="messages"/>.</summary>
    public static long Of(IList<ChatMessage> messages)
    {
        long bytes = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            bytes += Of(messages[i].Contents);
        }

        return bytes;
    }

    /// <summary>The UTF-8 bytes of one embedding input: text for strings and text contents, the data length for data contents, else 0.</summary>
    public static long OfInput<TInput>(TInput input) => input switch
    {
        string text => Encoding.UTF8.GetByteCount(text),
        TextContent text => Encoding.UTF8.GetByteCount(text.Text),
        DataContent data => data.Data.Length,
        _ => 0,
    };

    private static long Of(IList<AIContent> contents)
    {
        long bytes = 0;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is TextContent text)
            {
                bytes += Encoding.UTF8.GetByteCount(text.Text);
            }
        }

        return bytes;
    }
}
