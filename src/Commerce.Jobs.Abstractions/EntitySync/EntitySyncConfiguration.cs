namespace Commerce.Jobs;

/// <summary>
/// How one entity type is synchronized: to which targets, whether it is enabled, incremental and paused, and the delivery
/// settings changed at run time.
/// </summary>
/// <remarks>
/// Declared in code with <c>jobs.AddEntitySync("categories").DeliverTo("search", "erp")</c> and managed at run time
/// through <see cref="IEntitySync"/> (list, get, put, delete). Entity type and target names compare case-insensitively.
/// The delivery settings (<see cref="BatchSize"/>, <see cref="MaxItemsToSkip"/>, <see cref="MaxRetries"/>,
/// <see cref="RetryWindow"/>, <see cref="RetrySkippedAfter"/>) are overrides: <see langword="null"/> means as declared
/// (the type's <c>EntitySyncOptions</c>, from code and configuration), a value wins over the declaration until it is put
/// back to <see langword="null"/>. A get returns the overrides, not the effective values, so that a get, a change and a
/// put keep what was not changed as it was (declared or overridden).
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

    /// <summary>Gets the changes per delivery call to a target (1 to 100,000); <see langword="null"/>: as declared (<c>EntitySyncOptions.BatchSize</c>).</summary>
    public int? BatchSize { get; init; }

    /// <summary>
    /// Gets how many changes one delivery pass to a target may skip before it stops and waits (0 or more);
    /// <see langword="null"/>: as declared (<c>EntitySyncOptions.MaxItemsToSkip</c>).
    /// </summary>
    public int? MaxItemsToSkip { get; init; }

    /// <summary>
    /// Gets the most retries of a batch that failed transiently (0 to 100); <see langword="null"/>: as declared
    /// (<c>EntitySyncOptions.RetryWindow.MaxRetries</c>).
    /// </summary>
    public int? MaxRetries { get; init; }

    /// <summary>
    /// Gets the window every retry of a batch must start in, from its first failure (1 second to 1 day);
    /// <see langword="null"/>: as declared (<c>EntitySyncOptions.RetryWindow.Window</c>).
    /// </summary>
    public TimeSpan? RetryWindow { get; init; }

    /// <summary>
    /// Gets how long a target waits before it tries skipped changes again (1 second to 1 day); <see langword="null"/>: as
    /// declared (<c>EntitySyncOptions.RetrySkippedAfter</c>).
    /// </summary>
    public TimeSpan? RetrySkippedAfter { get; init; }

    /// <inheritdoc />
    public bool Equals(EntitySyncConfiguration? other) =>
        other is not null
        && string.Equals(EntityType, other.EntityType, StringComparison.OrdinalIgnoreCase)
        && Enabled == other.Enabled
        && IncrementalSync == other.IncrementalSync
        && Paused == other.Paused
        && BatchSize == other.BatchSize
        && MaxItemsToSkip == other.MaxItemsToSkip
        && MaxRetries == other.MaxRetries
        && RetryWindow == other.RetryWindow
        && RetrySkippedAfter == other.RetrySkippedAfter
        && (ReferenceEquals(Targets, other.Targets) || (Targets is not null && other.Targets is not null && Targets.SequenceEqual(other.Targets, StringComparer.OrdinalIgnoreCase)));

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(
        HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(EntityType ?? string.Empty), Enabled, IncrementalSync, Paused, Targets?.Count ?? 0),
        BatchSize, MaxItemsToSkip, MaxRetries, RetryWindow, RetrySkippedAfter);
}
