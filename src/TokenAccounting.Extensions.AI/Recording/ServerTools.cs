namespace TokenAccounting;

/// <summary>The server-side tool names the middleware records in <see cref="UsageRecord.ServerToolCalls"/> (the parsers' names).</summary>
internal static class ServerTools
{
    public const string WebSearch = "web_search";

    public const string WebFetch = "web_fetch";
}
