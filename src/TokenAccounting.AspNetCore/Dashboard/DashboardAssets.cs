using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using TokenAccounting.Reporting;

namespace TokenAccounting.AspNetCore;

/// <summary>The dashboard's script and stylesheet, embedded in the assembly and served by the dashboard's own endpoints.</summary>
internal static class DashboardAssets
{
    public const string ScriptPath = "/assets/dashboard.js";
    public const string StylePath = "/assets/dashboard.css";

    private static readonly Lazy<Asset> Script = new(() => new Asset(Read("dashboard.js"), "text/javascript; charset=utf-8"));

    // The report's own stylesheet first (the fragment is the tool's HTML page), then the dashboard's additions.
    private static readonly Lazy<Asset> Style = new(() => new Asset(SpendReportHtml.Stylesheet + "\n" + Read("dashboard.css"), "text/css; charset=utf-8"));

    public static Task ServeScriptAsync(HttpContext context) => ServeAsync(context, Script.Value);

    public static Task ServeStyleAsync(HttpContext context) => ServeAsync(context, Style.Value);

    private static async Task ServeAsync(HttpContext context, Asset asset)
    {
        var response = context.Response;
        DashboardHeaders.Apply(response);
        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Bytes.Length;
        await response.Body.WriteAsync(asset.Bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static string Read(string name)
    {
        var resource = "TokenAccounting.AspNetCore.Dashboard." + name;
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded dashboard asset '{resource}' is missing from {typeof(DashboardAssets).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private sealed class Asset
    {
        public Asset(string text, string contentType)
        {
            Bytes = Encoding.UTF8.GetBytes(text);
            ContentType = contentType;
            ETag = "\"" + Convert.ToHexString(SHA256.HashData(Bytes), 0, 12).ToLowerInvariant() + "\"";
        }

        public byte[] Bytes { get; }

        public string ContentType { get; }

        public string ETag { get; }
    }
}

/// <summary>The security headers of every dashboard response.</summary>
internal static class DashboardHeaders
{
    /// <summary>
    /// Scripts, styles and fetches only from the app itself (the embedded files); no inline script or style (images may be data: URLs: the page's empty icon), no plugins,
    /// no framing, forms post back only to the app.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
    }
}
