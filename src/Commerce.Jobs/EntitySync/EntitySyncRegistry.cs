using Commerce.Jobs.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.EntitySync;

/// <summary>The entity syncs the host declared in code (<c>jobs.AddEntitySync(...)</c>); read once when the service starts.</summary>
internal sealed class EntitySyncRegistry
{
    private readonly Dictionary<string, EntitySyncDeclaration> _declarations = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<EntitySyncDeclaration> Declarations => _declarations.Values;

    /// <summary>Registers entity synchronization's services (once), and returns the registry of declarations.</summary>
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EntitySyncOptions>, EntitySyncOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<EntitySyncOptions>, EntitySyncOptionsValidator>());
        return registry;
    }

    public EntitySyncDeclaration Add(string entityType)
    {
        Runners.JobRegistry.ValidateName(entityType, "entity type");
        var declaration = new EntitySyncDeclaration(entityType);
        if (!_declarations.TryAdd(entityType, declaration))
        {
            throw new ArgumentException($"An entity sync of '{entityType}' is already declared; entity types are unique (case-insensitive).", nameof(entityType));
        }

        return declaration;
    }

    public bool TryGet(string entityType, out EntitySyncDeclaration declaration) => _declarations.TryGetValue(entityType, out declaration!);
}

/// <summary>One declared entity sync: its configuration and where full and targeted syncs read from.</summary>
internal sealed class EntitySyncDeclaration(string entityType)
{
    public EntitySyncConfiguration Configuration { get; set; } = new() { EntityType = entityType, Targets = [] };

    public Func<IServiceProvider, IEntitySource>? Source { get; set; }
}
