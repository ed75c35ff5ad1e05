using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using TokenAccounting.AspNetCore.Tests.Infrastructure;

namespace TokenAccounting.AspNetCore.Tests.Budgets;

public sealed class BudgetResponseTests
{
    // 10:00:00.250 UTC on the first of December: fractions of a second round the header up.
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, 250, TimeSpan.Zero);

    private static BudgetPolicy PerUser(BudgetWindow window, BudgetEnforcement enforcement = BudgetEnforcement.Hard, double? warning = null) => new()
    {
        Name = "per-user",
        Dimension = BudgetDimension.User,
        Limit = 100,
        Window = window,
        Enforcement = enforcement,
        WarningThreshold = warning,
    };

    private static void MapReserve(WebApplication app)
    {
        var budgets = app.Services.GetRequiredService<BudgetManager>();
        app.MapPost("/reserve/{tokens:int}", async (int tokens) =>
        {
            using var reservation = await budgets.ReserveAsync(BudgetAmount.FromTokens(tokens));
            reservation.Commit(BudgetAmount.FromTokens(tokens));
            return "ok";
        });
        app.MapPost("/reserve-for/{user}/{tokens:int}", (string user, int tokens) =>
            budgets.Reserve(BudgetAmount.FromTokens(tokens), new BudgetSubject { UserId = user }).Commit(BudgetAmount.FromTokens(tokens)));
        app.MapPost("/reserve-in-task/{tokens:int}", (int tokens) =>
        {
            // A synchronous wait wraps the denial in an AggregateException.
            Task.Run(() => budgets.Reserve(BudgetAmount.FromTokens(tokens)).Commit(BudgetAmount.FromTokens(tokens))).Wait();
            return "ok";
        });
    }

    private static Task<HttpResponseMessage> Post(TestApp app, string url, string user = "alice") =>
        app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, url).As(user: user));

    public static TheoryData<string, string?> Windows() => new()
    {
        { "day", "50400" },        // until 2026-12-02T00:00Z
        { "month", "2642400" },    // until 2027-01-01T00:00Z: 30 days and 14 hours
        { "rolling", "3660" },     // from the store: the 80 slide out of the hour one one-minute bucket after they were counted
        { "lifetime", null },      // never frees: no Retry-After
    };

    private static BudgetWindow WindowOf(string kind) => kind switch
    {
        "day" => BudgetWindow.UtcDay,
        "month" => BudgetWindow.UtcMonth,
        "rolling" => BudgetWindow.Rolling(TimeSpan.FromHours(1)),
        _ => BudgetWindow.Lifetime,
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public async Task Reserve_OverTheLimit_Answers429WithRetryAfterOfTheWindow(string kind, string? retryAfter)
    {
        await using var app = await TestApp.StartAsync(configureAccounting: b => b.AddBudgets(PerUser(WindowOf(kind))), configureApp: MapReserve, now: Now);
        (await Post(app, "/reserve/80")).StatusCode.ShouldBe(HttpStatusCode.OK);

        var denied = await Post(app, "/reserve/30");

        denied.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        if (retryAfter is null)
        {
            denied.Headers.RetryAfter.ShouldBeNull();
        }
        else
        {
            denied.Headers.GetValues("Retry-After").ShouldHaveSingleItem().ShouldBe(retryAfter);
        }

        denied.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        using var problem = JsonDocument.Parse(await denied.Content.ReadAsStringAsync());
        var root = problem.RootElement;
        root.GetProperty("status").GetInt32().ShouldBe(429);
        root.GetProperty("type").GetString().ShouldBe("https://tools.ietf.org/html/rfc6585#section-4");
        root.GetProperty("policy").GetString().ShouldBe("per-user");
        root.GetProperty("limit").GetDecimal().ShouldBe(100m);
        root.GetProperty("used").GetDecimal().ShouldBe(80m);
        root.GetProperty("remaining").GetDecimal().ShouldBe(20m);
        root.GetProperty("requested").GetDecimal().ShouldBe(30m);
        root.TryGetProperty("retryAfterSeconds", out var seconds).ShouldBe(retryAfter is not null);
        if (retryAfter is not null)
        {
            seconds.GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture).ShouldBe(retryAfter);
        }

        (await Post(app, "/reserve/30", user: "bob")).StatusCode.ShouldBe(HttpStatusCode.OK, "another user has a budget of their own");
    }

    [Fact]
    public async Task Reserve_DayWindowAfterTimePasses_RetryAfterShrinksWithTheClock()
    {
        await using var app = await TestApp.StartAsync(configureAccounting: b => b.AddBudgets(PerUser(BudgetWindow.UtcDay)), configureApp: MapReserve, now: Now);
        (await Post(app, "/reserve/100")).EnsureSuccessStatusCode();
        app.Time.Advance(TimeSpan.FromHours(13));

        var denied = await Post(app, "/reserve/1");

        denied.Headers.GetValues("Retry-After").ShouldHaveSingleItem().ShouldBe("3600");
        app.Time.Advance(TimeSpan.FromHours(1));
        (await Post(app, "/reserve/1")).StatusCode.ShouldBe(HttpStatusCode.OK, "the next UTC day has a fresh budget");
    }

    [Fact]
    public async Task Reserve_DeniedInsideAWaitedTask_StillAnswers429()
    {
        await using var app = await TestApp.StartAsync(configureAccounting: b => b.AddBudgets(PerUser(BudgetWindow.UtcDay)), configureApp: MapReserve, now: Now);

        var denied = await Post(app, "/reserve-in-task/101");

        denied.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        denied.Headers.GetValues("Retry-After").ShouldHaveSingleItem().ShouldBe("50400");
    }

    [Fact]
    public async Task Reserve_DetailsHidden_BodyOmitsPolicyAndAmounts()
    {
        await using var app = await TestApp.StartAsync(
            configureAccounting: b => b.AddBudgets(PerUser(BudgetWindow.UtcDay)).AddAspNetCore(o => o.IncludeBudgetDetails = false),
            configureApp: MapReserve,
            now: Now);

        var denied = await Post(app, "/reserve/101");

        denied.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        var body = await denied.Content.ReadAsStringAsync();
        body.ShouldNotContain("per-user");
        body.ShouldNotContain("limit");
        body.ShouldNotContain("remaining");
        denied.Headers.GetValues("Retry-After").ShouldHaveSingleItem().ShouldBe("50400");
    }

    [Fact]
    public async Task Exception_ReachingUseExceptionHandler_IsAnswered429ByTheExceptionHandler()
    {
        await using var app = await TestApp.StartAsync(
            configureAccounting: b => b.AddBudgets(PerUser(BudgetWindow.UtcMonth)),
            configureApp: a =>
            {
                a.UseExceptionHandler();
                MapReserve(a);
            },
            now: Now,
            useMiddleware: false);

        var denied = await Post(app, "/reserve-for/alice/101");

        denied.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        denied.Headers.GetValues("Retry-After").ShouldHaveSingleItem().ShouldBe("2642400");
        (await denied.Content.ReadAsStringAsync()).ShouldContain("\"policy\":\"per-user\"");
    }

    [Fact]
    public async Task Reserve_CrossingTheWarningThreshold_AddsTheWarningHeader()
    {
        await using var app = await TestApp.StartAsync(
            configureAccounting: b => b.AddBudgets(PerUser(BudgetWindow.UtcDay, BudgetEnforcement.Hard, warning: 0.5)),
            configureApp: MapReserve,
            now: Now);

        var below = await Post(app, "/reserve/40");
        var crossing = await Post(app, "/reserve/20");

        below.Headers.Contains("X-Budget-Warning").ShouldBeFalse();
        crossing.StatusCode.ShouldBe(HttpStatusCode.OK);
        crossing.Headers.GetValues("X-Budget-Warning").ShouldHaveSingleItem().ShouldStartWith("per-user; used=60");
    }

    [Fact]
    public async Task Exception_OtherThanBudget_IsNotTurnedInto429()
    {
        await using var app = await TestApp.StartAsync(configureApp: a =>
        {
            a.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = _ => StatusCodes.Status500InternalServerError });
            a.MapGet("/boom", string () => throw new InvalidOperationException("boom"));
        });

        (await app.Client.GetAsync("/boom")).StatusCode.ShouldBe(HttpStatusCode.InternalServerError);
    }
}
