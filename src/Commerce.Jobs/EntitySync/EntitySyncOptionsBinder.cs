using Commerce.Jobs.Runners;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.EntitySync;

/// <summary>Binds each entity type's options from <c>CommerceJobs:EntitySync:{entity type}</c> after the code's settings, so configuration wins.</summary>
internal sealed class EntitySyncOptionsBinder(JobRegistry registry) : IPostConfigureOptions<EntitySyncOptions>
{
    public void PostConfigure(string? name, EntitySyncOptions options)
    {
        if (!string.IsNullOrEmpty(name) && registry.Configuration is { } configuration)
        {
            configuration.GetSection("EntitySync").GetSection(name).Bind(options);
        }
    }
}
