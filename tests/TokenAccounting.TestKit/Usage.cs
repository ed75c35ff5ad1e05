namespace TokenAccounting.TestKit;

/// <summary>Short factories for records in tests.</summary>
public static class Usage
{
    public static UsageRecord Chat(string model, long input, long output, string? userId = null) =>
        new() { Model = model, Provider = "openai", Operation = UsageOperation.Chat, Tokens = new TokenCounts(input, output), UserId = userId };

    public static UsageRecord Embedding(string model, long input) =>
        new() { Model = model, Provider = "openai", Operation = UsageOperation.Embeddings, Tokens = new TokenCounts(input, 0) };
}
