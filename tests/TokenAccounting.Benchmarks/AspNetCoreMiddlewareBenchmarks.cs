using System.Security.Claims;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace TokenAccounting.Benchmarks;

/// <summary>
/// The per-request cost of <c>UseTokenAccounting()</c> (resolve the user, tenant and route, open the request's scope,
/// set the feature) against the same pipeline without it, on one reused authenticated <see cref="HttpContext"/> whose
/// endpoint is already routed. Target: at most 1 µs over the bare pipeline.
/// </summary>
[MemoryDiagnoser]
public class AspNetCoreMiddlewareBenchmarks
{
    private ServiceProvider _services = null!;
    private RequestDelegate _bare = null!;
    private RequestDelegate _accounted = null!;
    private DefaultHttpContext _context = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddTokenAccounting().AddInMemorySink().AddAspNetCore();
        _services = services.BuildServiceProvider();

        // Both pipelines end in the routed endpoint, as an app's do (the default terminal refuses a request whose
        // endpoint was never executed).
        var bare = new ApplicationBuilder(_services);
        bare.Run(RunEndpoint);
        _bare = bare.Build();
        var app = new ApplicationBuilder(_services);
        app.UseTokenAccounting();
        app.Run(RunEndpoint);
        _accounted = app.Build();

        _context = new DefaultHttpContext { RequestServices = _services };
        _context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "alice"), new Claim("tid", "acme")], "Bench"));
        _context.SetEndpoint(new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse("/chat/{id}"), 0, EndpointMetadataCollection.Empty, "chat"));
    }

    private static Task RunEndpoint(HttpContext context) => context.GetEndpoint()!.RequestDelegate!(context);

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "bare pipeline")]
    public Task Bare() => _bare(_context);

    [Benchmark(Description = "UseTokenAccounting()")]
    public Task Accounted() => _accounted(_context);
}
