using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace TokenAccounting.AspNetCore.Tests.Infrastructure;

/// <summary>A WebApplication on a TestServer with the test authentication scheme, an in-memory sink and a fake clock.</summary>
public sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, InMemoryUsageSink sink, FakeTimeProvider time)
    {
        App = app;
        Sink = sink;
        Time = time;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public InMemoryUsageSink Sink { get; }

    public FakeTimeProvider Time { get; }

    public IServiceProvider Services => App.Services;

    public UsageRecorder Recorder => App.Services.GetRequiredService<UsageRecorder>();

    public static async Task<TestApp> StartAsync(
        Action<ITokenAccountingBuilder>? configureAccounting = null,
        Action<WebApplication>? configureApp = null,
        Action<IServiceCollection>? configureServices = null,
        DateTimeOffset? now = null,
        bool useMiddleware = true)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        var time = new FakeTimeProvider(now ?? new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var sink = new InMemoryUsageSink();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddAuthentication(TestAuthHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, TestAuthHandler>(TestAuthHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy("admin", p => p.RequireRole("admin")));
        var accounting = builder.Services.AddTokenAccounting(o => o.FlushInterval = TimeSpan.FromHours(1)).AddSink(sink);
        accounting.AddAspNetCore();
        configureAccounting?.Invoke(accounting);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        if (useMiddleware)
        {
            app.UseTokenAccounting();
        }

        configureApp?.Invoke(app);
        await app.StartAsync();
        return new TestApp(app, sink, time);
    }

    public async Task<IReadOnlyList<UsageRecord>> FlushedRecordsAsync()
    {
        await Recorder.FlushAsync();
        return Sink.Records;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

public static class HttpRequestExtensions
{
    public static HttpRequestMessage As(this HttpRequestMessage request, string? user = null, string? tenant = null, string? role = null)
    {
        if (user is not null)
        {
            request.Headers.Add("X-Test-User", user);
        }

        if (tenant is not null)
        {
            request.Headers.Add("X-Test-Tenant", tenant);
        }

        if (role is not null)
        {
            request.Headers.Add("X-Test-Role", role);
        }

        return request;
    }

    public static Task<HttpResponseMessage> GetAsUserAsync(this HttpClient client, string url, string? user = null, string? tenant = null, string? role = null) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url).As(user, tenant, role));
}
