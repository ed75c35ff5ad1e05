namespace TokenAccounting.Extensions.AI.Tests.Fakes;

/// <summary>Scripts for the package's <see cref="ScriptedChatClient"/> that several test classes share.</summary>
internal static class ScriptedModels
{
    /// <summary>An OpenAI gpt-4o client that answers "ok" reporting <paramref name="input"/> and <paramref name="output"/> tokens, <paramref name="calls"/> times.</summary>
    public static ScriptedChatClient Answering(long input, long output, int calls = 1)
    {
        var model = new ScriptedChatClient(new ChatClientMetadata("openai", null, "gpt-4o"));
        for (var i = 0; i < calls; i++)
        {
            model.Respond(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output } });
        }

        return model;
    }
}
