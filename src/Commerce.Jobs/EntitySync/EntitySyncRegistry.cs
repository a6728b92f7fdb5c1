namespace Commerce.Jobs.EntitySync;

/// <summary>The entity syncs the host declared in code (<c>jobs.AddEntitySync(...)</c>); read once when the service starts.</summary>
internal sealed class EntitySyncRegistry
{
    private readonly Dictionary<string, EntitySyncDeclaration> _declarations = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<EntitySyncDeclaration> Declarations => _declarations.Values;

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
