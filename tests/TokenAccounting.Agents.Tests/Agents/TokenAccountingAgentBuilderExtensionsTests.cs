namespace TokenAccounting.Agents.Tests.Agents;

public sealed class TokenAccountingAgentBuilderExtensionsTests : IAsyncDisposable
{
    private readonly InMemoryUsageSink _sink = new();
    private readonly UsageRecorder _recorder;

    public TokenAccountingAgentBuilderExtensionsTests()
    {
        _recorder = UsageRecorder.Create(_sink);
    }

    public ValueTask DisposeAsync() => _recorder.DisposeAsync();

    private IChatClient Accounted(IChatClient model, BudgetManager? budgets = null) =>
        model.AsBuilder().UseTokenAccounting(_recorder, o => o.Budgets = budgets).Build();

    private AIAgent Agent(IChatClient model, string name, IList<AITool>? tools = null, BudgetManager? budgets = null) =>
        new ChatClientAgent(Accounted(model, budgets), instructions: "Be brief.", name: name, tools: tools).AsBuilder().UseTokenAccounting().Build();

    private async Task<IReadOnlyList<UsageRecord>> RecordsAsync()
    {
        await _recorder.FlushAsync();
        return _sink.Records;
    }

    [Fact]
    public async Task RunAsync_ChatClientAgent_RecordsCarryTheAgentScopeTagsAndRunUser()
    {
        var model = new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("hi", 30, 5), _ => ScriptedModel.Text("again", 40, 6));
        var agent = Agent(model, "planner");
        var session = await agent.CreateSessionAsync();
        var options = new AgentRunOptions { AdditionalProperties = new() { ["user_id"] = "alice", ["tenant_id"] = "acme" } };

        await agent.RunAsync("Hello", session, options);
        await agent.RunAsync("Hello again", session, options);

        var records = await RecordsAsync();
        records.Select(r => r.Tokens).ShouldBe([new TokenCounts(30, 5), new TokenCounts(40, 6)]);
        records.ShouldAllBe(r => r.ScopePath == "planner" && r.UserId == "alice" && r.TenantId == "acme");
        records.ShouldAllBe(r => r.Tags![TokenAccountingAgentOptions.AgentNameTag] == "planner" && r.Tags[TokenAccountingAgentOptions.AgentIdTag] == agent.Id);
        var sessionId = session.StateBag.GetValue<string>(TokenAccountingAgentOptions.SessionIdStateKey).ShouldNotBeNull();
        records.Select(r => r.Tags![TokenAccountingAgentOptions.SessionIdTag]).ShouldBe([sessionId, sessionId]);
        UsageScope.Current.ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_TwoSessions_EachKeepsItsOwnId()
    {
        var model = new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("a", 1, 1), _ => ScriptedModel.Text("b", 1, 1));
        var agent = Agent(model, "support");

        await agent.RunAsync("one", await agent.CreateSessionAsync());
        await agent.RunAsync("two", await agent.CreateSessionAsync());

        var ids = (await RecordsAsync()).Select(r => r.Tags![TokenAccountingAgentOptions.SessionIdTag]).ToList();
        ids.Count.ShouldBe(2);
        ids.Distinct().Count().ShouldBe(2);
    }

    [Fact]
    public async Task RunAsync_NoUserInTheRun_InheritsTheEnclosingScopesUser()
    {
        var agent = Agent(new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("ok", 10, 2)), "helper");

        using (UsageScope.Begin("request", userId: "bob", tenantId: "t-9"))
        {
            await agent.RunAsync("Hi");
        }

        var record = (await RecordsAsync()).ShouldHaveSingleItem();
        (record.UserId, record.TenantId, record.ScopePath).ShouldBe(("bob", "t-9", "request/helper"));
        record.Tags!.ContainsKey(TokenAccountingAgentOptions.SessionIdTag).ShouldBeFalse(); // no session given, none to name
    }

    [Fact]
    public async Task RunAsync_AgentUsedAsAnotherAgentsTool_ScopesNestAndEachRecordCarriesItsOwnAgent()
    {
        var researcherModel = new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("three sources", 200, 40));
        var researcher = Agent(researcherModel, "researcher");
        var plannerModel = new ScriptedModel(
            "gpt-4o",
            _ => ScriptedModel.Call("researcher", "battery recycling", 100, 10),
            _ => ScriptedModel.Text("Here is the plan.", 160, 30));
        var planner = Agent(plannerModel, "planner", tools: [researcher.AsAIFunction()]);

        AgentResponse response;
        UsageTotals totals;
        using (var run = UsageScope.Begin("turn-1", userId: "alice"))
        {
            response = await planner.RunAsync("Plan a report on battery recycling.");
            totals = run.Totals;
        }

        response.Text.ShouldBe("Here is the plan.");
        totals.Tokens.ShouldBe(new TokenCounts(460, 80));
        var records = await RecordsAsync();
        records.Select(r => (r.ScopePath, r.Tags![TokenAccountingAgentOptions.AgentNameTag], r.Tokens)).ShouldBe(
        [
            ("turn-1/planner", "planner", new TokenCounts(100, 10)),
            ("turn-1/planner/researcher", "researcher", new TokenCounts(200, 40)),
            ("turn-1/planner", "planner", new TokenCounts(160, 30)),
        ]);
        records.ShouldAllBe(r => r.UserId == "alice");
    }

    [Fact]
    public async Task RunStreamingAsync_RecordWrittenAfterTheFirstUpdate_StillInTheAgentScope()
    {
        var model = new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("streamed answer", 50, 7));
        var agent = Agent(model, "streamer");
        var session = await agent.CreateSessionAsync();

        var text = string.Empty;
        using (UsageScope.Begin("outer"))
        {
            await foreach (var update in agent.RunStreamingAsync("Hi", session, new AgentRunOptions { AdditionalProperties = new() { ["user_id"] = "carol" } }))
            {
                text += update.Text;
                UsageScope.Current!.Name.ShouldBe("outer"); // the agent's scope never leaks into the consumer
            }
        }

        text.ShouldBe("streamed answer");
        var record = (await RecordsAsync()).ShouldHaveSingleItem();
        (record.ScopePath, record.UserId, record.Tokens).ShouldBe(("outer/streamer", "carol", new TokenCounts(50, 7)));
        record.Tags![TokenAccountingAgentOptions.SessionIdTag].ShouldBe(session.StateBag.GetValue<string>(TokenAccountingAgentOptions.SessionIdStateKey));
        UsageScope.Current.ShouldBeNull();
    }

    [Fact]
    public async Task RunAsync_BudgetDenied_BudgetExceededExceptionReachesTheCallerAndTheScopeCloses()
    {
        var budgets = new BudgetManager([new BudgetPolicy
        {
            Name = "tiny",
            Dimension = BudgetDimension.Global,
            Unit = BudgetUnit.Tokens,
            Limit = 5,
            Enforcement = BudgetEnforcement.Hard,
        }], new InMemoryBudgetStore(), TimeProvider.System);
        var model = new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("never", 1, 1));
        var agent = Agent(model, "spender", budgets: budgets);

        var denied = await Should.ThrowAsync<BudgetExceededException>(() => agent.RunAsync("Write a novel."));
        var deniedStreaming = await Should.ThrowAsync<BudgetExceededException>(async () =>
        {
            await foreach (var _ in agent.RunStreamingAsync("Write a novel."))
            {
            }
        });

        denied.Policy.Name.ShouldBe("tiny");
        deniedStreaming.Policy.Name.ShouldBe("tiny");
        model.CallCount.ShouldBe(0);
        UsageScope.Current.ShouldBeNull();
        var refused = await RecordsAsync();
        refused.Count.ShouldBe(2);
        refused.ShouldAllBe(r => r.Outcome == UsageOutcome.Skipped && r.ScopePath == "spender");
    }

    [Fact]
    public async Task UseTokenAccounting_ScopeNameAndKeysConfigured_Applied()
    {
        var model = new ScriptedModel("gpt-4o-mini", _ => ScriptedModel.Text("ok", 3, 1));
        var agent = new ChatClientAgent(Accounted(model), name: "triage").AsBuilder()
            .UseTokenAccounting(o =>
            {
                o.ScopeName = a => "agent:" + a.Name;
                o.UserIdKey = "end_user";
            })
            .Build();

        await agent.RunAsync("Hi", options: new ChatClientAgentRunOptions(new ChatOptions { AdditionalProperties = new() { ["end_user"] = "dave" } }));

        var record = (await RecordsAsync()).ShouldHaveSingleItem();
        (record.ScopePath, record.UserId).ShouldBe(("agent:triage", "dave"));
    }

    [Fact]
    public void UseTokenAccounting_BlankKeyOrNullBuilder_Throws()
    {
        var builder = new ChatClientAgent(new ScriptedModel("m"), name: "x").AsBuilder().UseTokenAccounting(o => o.TenantIdKey = " ");

        Should.Throw<ArgumentException>(() => builder.Build()).Message.ShouldContain("TenantIdKey");
        Should.Throw<ArgumentNullException>(() => ((AIAgentBuilder)null!).UseTokenAccounting()).ParamName.ShouldBe("builder");
    }
}
