using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.AspNetCore.Tests.Infrastructure;

namespace TokenAccounting.AspNetCore.Tests.Attribution;

[ApiController]
[Route("api/chats")]
public sealed class ChatsController(IUsageRecorder recorder) : ControllerBase
{
    [HttpPost("{id}")]
    public string Post(string id)
    {
        recorder.Record(Usage.Chat("gpt-4o", 11, 1));
        return id;
    }
}

public sealed class ConventionalController(IUsageRecorder recorder) : Controller
{
    public string Index()
    {
        recorder.Record(Usage.Chat("gpt-4o", 12, 1));
        return "ok";
    }
}

public sealed class MvcAttributionTests
{
    private static Task<TestApp> StartAsync() => TestApp.StartAsync(
        configureServices: s => s.AddControllers().AddApplicationPart(typeof(ChatsController).Assembly),
        configureApp: app =>
        {
            app.MapControllers();
            app.MapControllerRoute("default", "{controller}/{action=Index}");
        });

    [Fact]
    public async Task ControllerAction_AttributeRouted_RecordsTheRouteTemplateAndUser()
    {
        await using var app = await StartAsync();

        (await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/chats/9").As(user: "alice", tenant: "acme"))).EnsureSuccessStatusCode();

        var record = (await app.FlushedRecordsAsync()).ShouldHaveSingleItem();
        (record.UserId, record.TenantId, record.Route).ShouldBe(("alice", "acme", "api/chats/{id}"));
    }

    [Fact]
    public async Task ControllerAction_ConventionallyRouted_RecordsControllerAndAction()
    {
        await using var app = await StartAsync();

        (await app.Client.GetAsUserAsync("/Conventional/Index", user: "bob")).EnsureSuccessStatusCode();

        var record = (await app.FlushedRecordsAsync()).ShouldHaveSingleItem();
        (record.UserId, record.Route).ShouldBe(("bob", "Conventional/Index"));
    }
}
