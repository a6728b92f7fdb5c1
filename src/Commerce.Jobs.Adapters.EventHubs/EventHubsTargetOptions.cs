using System.Text.Json;
using Azure.Core;

namespace Commerce.Jobs.Adapters.EventHubs;

/// <summary>Settings of an Azure Event Hubs target: the namespace and event hub, how events are partitioned, and the bounds of each send.</summary>
/// <remarks>
/// Registered as named options (the target's name), so they can also be bound from configuration with
/// <c>services.Configure&lt;EventHubsTargetOptions&gt;("events", section)</c>; they are validated at start-up and when the
/// target is created. Set either <see cref="ConnectionString"/> or <see cref="FullyQualifiedNamespace"/> with a
/// <see cref="Credential"/>. The client's own retries are off: the job's retry window retries.
/// </remarks>
public sealed class EventHubsTargetOptions
{
    /// <summary>
    /// Gets or sets the namespace's or the event hub's connection string (a shared access key or signature). It never appears
    /// in logs or errors. When it carries no <c>EntityPath</c>, set <see cref="EventHubName"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>; required unless <see cref="FullyQualifiedNamespace"/> is set.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets the namespace's host name, <c>{namespace}.servicebus.windows.net</c>, used with <see cref="Credential"/>.</summary>
    /// <value>The default value is <see langword="null"/>; required unless <see cref="ConnectionString"/> is set.</value>
    public string? FullyQualifiedNamespace { get; set; }

    /// <summary>Gets or sets the credential used with <see cref="FullyQualifiedNamespace"/> (a managed identity, <c>DefaultAzureCredential</c>).</summary>
    /// <value>The default value is <see langword="null"/>; required with <see cref="FullyQualifiedNamespace"/>.</value>
    public TokenCredential? Credential { get; set; }

    /// <summary>
    /// Gets or sets the event hub every record goes to: 1 to 256 letters, digits, '.', '_' and '-', starting and ending with a
    /// letter or a digit.
    /// </summary>
    /// <value>The default value is <see langword="null"/>; required unless the connection string has an <c>EntityPath</c>.</value>
    public string? EventHubName { get; set; }

    /// <summary>
    /// Gets or sets whether each event's partition key is its record's id (an entity change's entity id), so that every event
    /// of one id goes to one partition, in order. When <see langword="false"/>, events are sent without a partition key and
    /// Event Hubs spreads them over the partitions: the load spreads evenly, but the order of one id's events is lost.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UsePartitionKey { get; set; } = EventHubsTargetDefaults.UsePartitionKey;

    /// <summary>
    /// Gets or sets how many sends one delivery may have in flight at once. An Event Hubs batch takes one partition key, so
    /// a delivery sends one batch (or more) per distinct key; the events of one key are always sent one batch after another.
    /// </summary>
    /// <value>The default value is 4; between 1 and 64.</value>
    public int MaxConcurrentSends { get; set; } = EventHubsTargetDefaults.MaxConcurrentSends;

    /// <summary>
    /// Gets or sets how long one operation with the service (opening the link and creating a batch, or sending one) may take
    /// before it counts as a transient failure; the client's <c>TryTimeout</c>.
    /// </summary>
    /// <value>The default value is 60 seconds; between 1 second and 1 hour.</value>
    public TimeSpan SendTimeout { get; set; } = EventHubsTargetDefaults.SendTimeout;

    /// <summary>Gets or sets the options that serialize event bodies (a source-generated context goes in its <c>TypeInfoResolver</c>).</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="JsonSerializerOptions.Web"/> (camelCase names).</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
