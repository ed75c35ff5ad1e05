namespace TokenAccounting.Recording.Parsing;

/// <summary>Why a provider usage payload could not be read; becomes a <see cref="FormatException"/> only when the caller wants one.</summary>
internal sealed class UsageParseError(string message, Exception? inner = null)
{
    public string Message { get; } = message;

    public Exception? Inner { get; } = inner;

    public FormatException ToException() => new(Message, Inner);
}
