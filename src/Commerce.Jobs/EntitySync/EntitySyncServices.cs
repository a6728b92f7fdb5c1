using Commerce.Jobs.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.EntitySync;

/// <summary>Registers entity synchronization's services; safe to call more than once.</summary>
internal static class EntitySyncServices
{
    public static EntitySyncRegistry TryAdd(IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(EntitySyncRegistry))?.ImplementationInstance is EntitySyncRegistry existing)
        {
            return existing;
        }

        var registry = new EntitySyncRegistry();
        services.AddSingleton(registry);
        services.TryAddSingleton<EntitySyncService>();
        services.TryAddSingleton<IEntitySync>(static s => s.GetRequiredService<EntitySyncService>());
        // Its configurations stored by any host are applied by the engine's one operator-state refresh.
        services.AddSingleton<IOperatorStateApplier>(static s => s.GetRequiredService<EntitySyncService>());
        // Not a hosted service of its own: CommerceJobsHostedService starts it before the engine and stops both together, bounded.
        services.TryAddSingleton<EntitySyncHostedService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EntitySyncOptions>, EntitySyncOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<EntitySyncOptions>, EntitySyncOptionsBinder>());
        return registry;
    }
}
