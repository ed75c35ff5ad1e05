using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.AspNetCore.Tests.Infrastructure;

namespace TokenAccounting.AspNetCore.Tests.Attribution;

public sealed class TokenAccountingMiddlewareTests
{
    private static void MapRecording(WebApplication app)
    {
        var recorder = app.Services.GetRequiredService<IUsageRecorder>();
        app.MapGet("/chat/{id}", (string id) =>
        {
            recorder.Record(Usage.Chat("gpt-4o", 10, 2));
            return id;
        });
        app.MapGet("/run", async () =>
        {
            await Task.Run(() => recorder.Record(Usage.Chat("gpt-4o", 7, 1)));
            return "ok";
        });
    }

    [Fact]
    public async Task Request_WithNameIdentifierAndTenantClaims_AttributesRecordsAndRouteTemplate()
    {
        await using var app = await TestApp.StartAsync(configureApp: MapRecording);

        (await app.Client.GetAsUserAsync("/chat/42", user: "alice", tenant: "acme")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var record = (await app.FlushedRecordsAsync()).ShouldHaveSingleItem();
        record.UserId.ShouldBe("alice");
        record.TenantId.ShouldBe("acme");
        record.Route.ShouldBe("/chat/{id}");
        record.ApiKeyId.ShouldBeNull();
        record.ScopePath.ShouldBe("http");
    }

    [Fact]
    public async Task Request_WithOnlySubClaim_UsesSubAsUser()
    {
        await using var app = await TestApp.StartAsync(configureApp: MapRecording);
        var request = new HttpRequestMessage(HttpMethod.Get, "/chat/1");
        request.Headers.Add("X-Test-Sub", "bob");

        (await app.Client.SendAsync(request)).EnsureSuccessStatusCode();

        (await app.FlushedRecordsAsync()).ShouldHaveSingleItem().UserId.ShouldBe("bob");
    }

    [Fact]
    public async Task Request_WithApiKeyIdHeader_AttributesTheIdToRecordsAndRollups()
    {
        await using var app = await TestApp.StartAsync(
            configureAccounting: b => b.AddAspNetCore(o => o.ApiKeyIdHeaderName = "X-Api-Key-Id"),
            configureApp: MapRecording);
        var request = new HttpRequestMessage(HttpMethod.Get, "/chat/1").As(user: "alice");
        request.Headers.Add("X-Api-Key-Id", "key-7");

        (await app.Client.SendAsync(request)).EnsureSuccessStatusCode();

        (await app.FlushedRecordsAsync()).ShouldHaveSingleItem().ApiKeyId.ShouldBe("key-7");
        app.Sink.Rollups.ShouldHaveSingleItem().Key.ApiKeyId.ShouldBe("key-7");
    }

    [Fact]
    public async Task Request_WithCustomTenantClaimType_ReadsThatClaim()
    {
        await using var app = await TestApp.StartAsync(
            configureAccounting: b => b.AddAspNetCore(o => o.TenantIdClaimType = System.Security.Claims.ClaimTypes.Role),
            configureApp: MapRecording);

        (await app.Client.GetAsUserAsync("/chat/1", user: "alice", tenant: "ignored", role: "tenant-9")).EnsureSuccessStatusCode();

        (await app.FlushedRecordsAsync()).ShouldHaveSingleItem().TenantId.ShouldBe("tenant-9");
    }

    [Fact]
    public async Task Request_Anonymous_RecordsWithoutUserButWithRoute()
    {
        await using var app = await TestApp.StartAsync(configureApp: MapRecording);

        (await app.Client.GetAsync("/chat/1")).EnsureSuccessStatusCode();

        var record = (await app.FlushedRecordsAsync()).ShouldHaveSingleItem();
        record.UserId.ShouldBeNull();
        record.Route.ShouldBe("/chat/{id}");
    }

    [Fact]
    public async Task Request_RecordInTaskRun_KeepsAttribution()
    {
        await using var app = await TestApp.StartAsync(configureApp: MapRecording);

        (await app.Client.GetAsUserAsync("/run", user: "carol", tenant: "t1")).EnsureSuccessStatusCode();

        var record = (await app.FlushedRecordsAsync()).ShouldHaveSingleItem();
        (record.UserId, record.TenantId, record.Route).ShouldBe(("carol", "t1", "/run"));
    }

    [Fact]
    public async Task Request_BackgroundWorkRecordingAfterTheResponse_KeepsAttribution()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var recorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(configureApp: a =>
        {
            var recorder = a.Services.GetRequiredService<IUsageRecorder>();
            a.MapPost("/jobs", () =>
            {
                _ = Task.Run(async () =>
                {
                    await release.Task;
                    recorder.Record(Usage.Chat("gpt-4o", 30, 3));
                    recorded.SetResult();
                });
                return Results.Accepted();
            });
        });

        var response = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/jobs").As(user: "dave", tenant: "t2"));
        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        release.SetResult();
        await recorded.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var record = (await app.FlushedRecordsAsync()).ShouldHaveSingleItem();
        (record.UserId, record.TenantId, record.Route).ShouldBe(("dave", "t2", "/jobs"));
    }

    [Fact]
    public async Task Request_StreamingResponse_AttributesEveryChunksRecord()
    {
        await using var app = await TestApp.StartAsync(configureApp: a =>
        {
            var recorder = a.Services.GetRequiredService<IUsageRecorder>();
            a.MapGet("/stream", () => Stream(recorder));
        });

        var body = await (await app.Client.GetAsUserAsync("/stream", user: "erin", tenant: "t3")).Content.ReadAsStringAsync();

        body.ShouldBe("[0,1,2]");
        var records = await app.FlushedRecordsAsync();
        records.Count.ShouldBe(3);
        records.ShouldAllBe(r => r.UserId == "erin" && r.TenantId == "t3" && r.Route == "/stream");

        static async IAsyncEnumerable<int> Stream(IUsageRecorder recorder)
        {
            for (var i = 0; i < 3; i++)
            {
                await Task.Yield();
                recorder.Record(Usage.Chat("gpt-4o", 1 + i, 1));
                yield return i;
            }
        }
    }

    [Fact]
    public async Task Request_ExposesAttributionFeatureWithTheRequestScope()
    {
        await using var app = await TestApp.StartAsync(configureApp: a =>
        {
            var recorder = a.Services.GetRequiredService<IUsageRecorder>();
            a.MapGet("/feature", (HttpContext context) =>
            {
                recorder.Record(Usage.Chat("gpt-4o", 5, 5));
                var feature = context.Features.Get<IHttpUsageAttributionFeature>()!;
                return $"{feature.Attribution.UserId}:{feature.Scope.Totals.Tokens.Total}";
            });
        });

        var body = await (await app.Client.GetAsUserAsync("/feature", user: "frank")).Content.ReadAsStringAsync();

        body.ShouldBe("frank:10");
    }

    [Fact]
    public async Task ConcurrentRequests_ForDifferentUsers_GiveExactPerUserTotals()
    {
        await using var app = await TestApp.StartAsync(configureApp: a =>
        {
            var recorder = a.Services.GetRequiredService<IUsageRecorder>();
            a.MapPost("/chat/{n:int}", async (int n) =>
            {
                await Task.Yield();
                recorder.Record(Usage.Chat("gpt-4o", n, 1));
                await Task.Run(() => recorder.Record(Usage.Chat("gpt-4o-mini", n, 2)));
                return n;
            });
        });
        var users = Enumerable.Range(0, 8).Select(i => $"user-{i}").ToArray();

        await Task.WhenAll(users.SelectMany((user, u) => Enumerable.Range(1, 25).Select(n =>
            app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/chat/{n + u}").As(user: user, tenant: $"tenant-{u % 3}")))));

        var records = await app.FlushedRecordsAsync();
        records.Count.ShouldBe(8 * 25 * 2);
        for (var u = 0; u < users.Length; u++)
        {
            var expectedInput = 2 * Enumerable.Range(1, 25).Sum(n => n + u);
            var mine = records.Where(r => r.UserId == users[u]).ToList();
            mine.Count.ShouldBe(50);
            mine.Sum(r => r.Tokens.Input).ShouldBe(expectedInput);
            mine.Sum(r => r.Tokens.Output).ShouldBe(25 * 3);
            mine.ShouldAllBe(r => r.TenantId == $"tenant-{u % 3}" && r.Route == "/chat/{n:int}");
            app.Sink.TotalsByUser()[users[u]].Tokens.Input.ShouldBe(expectedInput, "rollups are exact per user");
        }
    }
}
