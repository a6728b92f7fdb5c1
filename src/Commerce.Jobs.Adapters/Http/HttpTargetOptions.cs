using System.Text.Json;

namespace Commerce.Jobs.Adapters;

/// <summary>Settings of an HTTP endpoint target (an ERP's or a WMS's webhook).</summary>
/// <remarks>
/// Registered as named options (the target's name), so they can also be bound from configuration with
/// <c>services.Configure&lt;HttpTargetOptions&gt;("erp", section)</c>; they are validated at start-up and when the target is created.
/// </remarks>
public sealed class HttpTargetOptions
{
    /// <summary>Gets or sets the absolute http or https address the target POSTs to.</summary>
    /// <value>Required; there is no default.</value>
    public Uri? Endpoint { get; set; }

    /// <summary>
    /// Gets or sets the secret shared with the receiver, used to sign each request with HMAC-SHA256
    /// (header <see cref="HttpTargetSignature.HeaderName"/>); at least 16 characters. It never appears in logs or errors.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: requests are not signed.</value>
    public string? SigningSecret { get; set; }

    /// <summary>
    /// Gets or sets an API key sent in the <see cref="ApiKeyHeader"/> header of every request (search services and many
    /// webhooks authenticate so). Like the signing secret, it never appears in logs or errors.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no key is sent.</value>
    public string? ApiKey { get; set; }

    /// <summary>Gets or sets the header that carries <see cref="ApiKey"/>.</summary>
    /// <value>The default value is <c>api-key</c>.</value>
    public string ApiKeyHeader { get; set; } = "api-key";

    /// <summary>Gets or sets whether a batch goes out as one request, one request per record, or as bulk document operations.</summary>
    /// <value>The default value is <see cref="HttpTargetMode.Batch"/>.</value>
    public HttpTargetMode Mode { get; set; } = HttpTargetDefaults.Mode;

    /// <summary>Gets or sets how long one request may take, response body included, before it counts as a transient failure.</summary>
    /// <value>The default value is 30 seconds; at most one day.</value>
    public TimeSpan Timeout { get; set; } = HttpTargetDefaults.Timeout;

    /// <summary>Gets or sets the options that serialize records (a source-generated context goes in its <c>TypeInfoResolver</c>).</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="JsonSerializerOptions.Web"/> (camelCase names).</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
