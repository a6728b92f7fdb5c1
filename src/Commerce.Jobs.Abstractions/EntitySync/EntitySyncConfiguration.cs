namespace Commerce.Jobs;

/// <summary>How one entity type is synchronized: to which targets, and whether it is enabled, incremental and paused.</summary>
/// <remarks>
/// Declared in code with <c>jobs.AddEntitySync("categories").DeliverTo("search", "erp")</c> and managed at run time
/// through <see cref="IEntitySync"/> (list, get, put, delete). Entity type and target names compare case-insensitively.
/// </remarks>
/// <example>
/// <code>
/// var current = await entitySync.GetConfigurationAsync("categories", ct);
/// await entitySync.PutConfigurationAsync(current! with { Targets = ["search", "erp", "archive"] }, ct);
/// </code>
/// </example>
public sealed record EntitySyncConfiguration
{
    /// <summary>Gets the entity type (<c>categories</c>, <c>buyers</c>): 1 to 100 letters, digits, '-', '_' or '.'.</summary>
    public required string EntityType { get; init; }

    /// <summary>Gets the names of the delivery targets, at least one, each registered with <c>AddTarget</c>. Each target progresses independently.</summary>
    public required IReadOnlyList<string> Targets { get; init; }

    /// <summary>Gets a value indicating whether the type is synchronized at all; a disabled type accepts no changes and delivers nothing (held changes wait).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; init; } = true;

    /// <summary>Gets a value indicating whether published changes are delivered as they happen; when off, only full and targeted syncs deliver.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool IncrementalSync { get; init; } = true;

    /// <summary>
    /// Gets a value indicating whether upserts are held: consolidated per id (the latest version wins) and delivered as one
    /// set on resume. Deletes are never paused (a delete not yet claimed is replaced by a newer upsert of its id published
    /// meanwhile: that upsert is held, the delete never goes out).
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Paused { get; init; }

    /// <inheritdoc />
    public bool Equals(EntitySyncConfiguration? other) =>
        other is not null
        && string.Equals(EntityType, other.EntityType, StringComparison.OrdinalIgnoreCase)
        && Enabled == other.Enabled
        && IncrementalSync == other.IncrementalSync
        && Paused == other.Paused
        && (ReferenceEquals(Targets, other.Targets) || (Targets is not null && other.Targets is not null && Targets.SequenceEqual(other.Targets, StringComparer.OrdinalIgnoreCase)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(EntityType ?? string.Empty), Enabled, IncrementalSync, Paused, Targets?.Count ?? 0);
}
