using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Commerce.Jobs.Dashboard;

/// <summary>
/// The page, its script and its style sheet, embedded in the assembly (no CDN, no build step), served with a strict
/// Content-Security-Policy: scripts and styles from this origin only, no inline code, no framing.
/// </summary>
internal static class DashboardAssets
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly FrozenDictionary<string, Asset> Assets = new Dictionary<string, Asset>(StringComparer.Ordinal)
    {
        ["index.html"] = Load("index.html", "text/html; charset=utf-8"),
        ["dashboard.js"] = Load("dashboard.js", "text/javascript; charset=utf-8"),
        ["dashboard.css"] = Load("dashboard.css", "text/css; charset=utf-8"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public static IResult Serve(HttpContext context, string name)
    {
        var asset = Assets[name];
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch == asset.ETag)
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return TypedResults.Bytes(asset.Content, asset.ContentType);
    }

    private static Asset Load(string name, string contentType)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream($"Commerce.Jobs.Dashboard.Assets.{name}")
            ?? throw new InvalidOperationException($"The dashboard asset '{name}' is missing from the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var content = buffer.ToArray();
        return new Asset(content, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
    }

    private sealed record Asset(byte[] Content, string ContentType, string ETag);
}
