using Microsoft.Playwright;

namespace TokenAccounting.Reporting.Tests.Browser;

/// <summary>
/// One headless Chromium for the whole test run, driven by Playwright. The browser is Debian's <c>chromium</c> package
/// (<c>/usr/bin/chromium</c>, or <c>TOKENACCOUNTING_CHROMIUM</c>): Playwright's own download is not used. Without it
/// the browser tests skip with the reason, unless <c>TOKENACCOUNTING_REQUIRE_CHROMIUM=1</c> (set by <c>.ci/chromium.sh</c>),
/// which makes the missing browser a failure.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    public const string RequireVariable = "TOKENACCOUNTING_REQUIRE_CHROMIUM";
    public const string PathVariable = "TOKENACCOUNTING_CHROMIUM";

    private IPlaywright? _playwright;

    public IBrowser? Browser { get; private set; }

    public string? UnavailableReason { get; private set; }

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    public async Task InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } configured
            ? configured
            : new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        if (path is null || !File.Exists(path))
        {
            UnavailableReason = $"no Chromium at {path ?? "/usr/bin/chromium"} (install Debian's chromium package, or set {PathVariable})";
            return;
        }

        try
        {
            _playwright = await Playwright.CreateAsync();
            Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = path,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            });
        }
        catch (PlaywrightException e)
        {
            UnavailableReason = $"Chromium at {path} did not start: {e.Message}";
            _playwright?.Dispose();
            _playwright = null;
        }
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary>Skips the calling test (or fails it when Chromium is required) when there is no browser.</summary>
    public IBrowser EnsureAvailable()
    {
        if (UnavailableReason is null && Browser is not null)
        {
            return Browser;
        }

        if (Required)
        {
            throw new InvalidOperationException($"{RequireVariable}=1 but Chromium is not available: {UnavailableReason}");
        }

        Skip.If(true, $"Chromium is not available ({UnavailableReason}); set {RequireVariable}=1 to make this a failure.");
        throw new InvalidOperationException("unreachable");
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserTestGroup : ICollectionFixture<ChromiumFixture>
{
    public const string Name = "Chromium";
}
