using TokenAccounting.Agents.Tests.Agents;

namespace TokenAccounting.Agents.Tests;

/// <summary>The Agent Framework usage docs/extensions-ai.md shows (the docs' snippets are compiled by the packaging tests; this one also runs it), so what it says stays true.</summary>
public sealed class ReadmeSnippetTests
{
    [Fact]
    public async Task AskAsync_AsInTheReadme_AttributesBothAgentsToTheUser()
    {
        var sink = new InMemoryUsageSink();
        await using var recorder = UsageRecorder.Create(sink);
        var researcherModel = new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("sources", 20, 4));
        var researcher = new ChatClientAgent(researcherModel.AsBuilder().UseTokenAccounting(recorder).Build(), name: "researcher").AsBuilder().UseTokenAccounting().Build();
        var assistantModel = new ScriptedModel("gpt-4o", _ => ScriptedModel.Call("researcher", "batteries", 10, 2), _ => ScriptedModel.Text("answer", 30, 6));

        var text = await AskAsync(assistantModel.AsBuilder().UseTokenAccounting(recorder).Build(), researcher, "alice");

        text.ShouldBe("answer");
        await recorder.FlushAsync();
        sink.Records.Select(r => (r.ScopePath, r.UserId)).ShouldBe([("assistant", "alice"), ("assistant/researcher", "alice"), ("assistant", "alice")]);
    }

    static async Task<string> AskAsync(IChatClient accountedChat, AIAgent researcher, string user)
    {
        AIAgent assistant = accountedChat.AsAIAgent(instructions: "Delegate research, then answer.", name: "assistant", tools: [researcher.AsAIFunction()])
            .AsBuilder()
            .UseTokenAccounting()
            .Build();

        var session = await assistant.CreateSessionAsync();
        var response = await assistant.RunAsync("Find three sources on battery recycling.", session,
            new AgentRunOptions { AdditionalProperties = new() { ["user_id"] = user } });
        return response.Text;
    }
}
