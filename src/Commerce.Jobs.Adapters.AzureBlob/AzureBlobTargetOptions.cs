using System.Text.Json;
using Azure.Core;

namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>Settings of an Azure Blob storage target: where each batch's JSON Lines blob goes.</summary>
/// <remarks>
/// Registered as named options (the target's name), so they can also be bound from configuration with
/// <c>services.Configure&lt;AzureBlobTargetOptions&gt;("archive", section)</c>; they are validated at start-up and when the
/// target is created. Set either <see cref="ConnectionString"/> or <see cref="ServiceUri"/> (with a <see cref="Credential"/>).
/// </remarks>
public sealed class AzureBlobTargetOptions
{
    /// <summary>Gets or sets the storage account's connection string (an account key or a SAS). It never appears in logs or errors.</summary>
    /// <value>The default value is <see langword="null"/>; required unless <see cref="ServiceUri"/> is set.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the blob service address (<c>https://{account}.blob.core.windows.net</c>), used with <see cref="Credential"/>.</summary>
    /// <value>The default value is <see langword="null"/>; required unless <see cref="ConnectionString"/> is set.</value>
    public Uri? ServiceUri { get; set; }

    /// <summary>Gets or sets the credential used with <see cref="ServiceUri"/> (a managed identity, <c>DefaultAzureCredential</c>).</summary>
    /// <value>The default value is <see langword="null"/>: anonymous requests, or a SAS in the query of <see cref="ServiceUri"/>.</value>
    public TokenCredential? Credential { get; set; }

    /// <summary>Gets or sets the container the blobs go to: 3 to 63 lowercase letters, digits and single hyphens, starting with a letter or a digit.</summary>
    /// <value>Required; there is no default.</value>
    public string? Container { get; set; }

    /// <summary>
    /// Gets or sets whether the target creates the container when it is missing (this needs account-level rights, which a
    /// container-scoped SAS lacks). Otherwise a missing container fails each batch permanently.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool CreateContainer { get; set; } = AzureBlobTargetDefaults.CreateContainer;

    /// <summary>Gets or sets a virtual folder put before every blob name (<c>exports/erp</c> gives <c>exports/erp/{job}/…</c>).</summary>
    /// <value>The default value is <see langword="null"/>: blob names start with the job's name.</value>
    public string? BlobPrefix { get; set; }

    /// <summary>Gets or sets how long one upload may take, container creation included, before it counts as a transient failure.</summary>
    /// <value>The default value is 100 seconds; at most one day.</value>
    public TimeSpan Timeout { get; set; } = AzureBlobTargetDefaults.Timeout;

    /// <summary>Gets or sets the options that serialize records (a source-generated context goes in its <c>TypeInfoResolver</c>).</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="JsonSerializerOptions.Web"/> (camelCase names). Lines are never indented.</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
