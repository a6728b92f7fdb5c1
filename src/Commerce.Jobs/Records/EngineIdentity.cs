using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Records;

/// <summary>Who this engine is to a shared store (owner of leases and occurrence claims), and how it serializes inbox records.</summary>
internal sealed class EngineIdentity(IOptions<CommerceJobsOptions> options)
{
    /// <summary>Gets the owner id: the host name and a random part unique to this process.</summary>
    public string Owner { get; } = $"{options.Value.HostName}:{Guid.NewGuid():N}";

    public TimeSpan LeaseDuration => options.Value.LeaseDuration;

    public JsonSerializerOptions SerializerOptions => options.Value.SerializerOptions;
}
