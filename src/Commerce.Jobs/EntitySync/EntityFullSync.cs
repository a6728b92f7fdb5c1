using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// The full sync of one entity type for one target: reads the entity source in pages into the store as repairs for the
/// target (when the lane has nothing to claim), keeping its progress in the store so that a restart, or another host,
/// resumes it instead of starting over.
/// </summary>
/// <remarks>
/// <para>
/// The progress is the schedule role's checkpoint <c>entity-sync:{type}:{target}:full-sync</c> (<see cref="EntityFullSyncProgress"/>).
/// A host reads while the checkpoint is unfinished and it is the reader, or the reader has not written for longer than
/// the lease (it died or hangs), or left it at a stop; it writes the checkpoint after each page it added. A failure between adding a page and writing the checkpoint only reads that page again
/// (repairs). A newer request (a later request time) stops an older read. Two hosts that take over a read at once both
/// read until one sees the other's checkpoint: harmless, they add the same repairs.
/// </para>
/// <para>
/// <see cref="IEntitySource.ReadAllAsync"/> has no cursor: a resumed read skips the entities read before. A source whose
/// order is not stable then sends some entities again (repairs may be sent again) and may miss some that moved ahead
/// of the point (the next full sync or a targeted sync has them).
/// </para>
/// </remarks>
internal sealed class EntityFullSync(
    string entityType,
    string targetName,
    IJobStore store,
    Func<IServiceProvider, IEntitySource>? declaredSource,
    IServiceProvider services,
    EngineIdentity identity,
    TimeProvider time,
    ILogger logger,
    Action<string> failed,
    EntitySyncPublishFence writes)
{
    private readonly string _owner = identity.Owner;
    private readonly string _key = CheckpointKey(entityType, targetName);
    private readonly Lock _gate = new();
    private Func<IServiceProvider, IEntitySource>? _source;  // a read this host does: requested here or resumed (guarded)
    private EntityFullSyncProgress _progress;  // guarded
    private bool _added;  // a read ended here after adding repairs: running while the store holds changes (guarded)
    private DateTimeOffset _unresumable;  // the request reported as not resumable here (the worker's)
    private IAsyncEnumerator<EntityChange>? _reader;  // the worker's
    private AsyncServiceScope? _scope;  // the worker's

    /// <summary>Gets whether a full sync runs as far as this host knows: a read unfinished, or repairs it added still held.</summary>
    public bool IsRunning(long pending)
    {
        lock (_gate)
        {
            return _source is not null || (_added && pending > 0);
        }
    }

    /// <summary>Takes note of the held changes the store counted: none left after the read ended, the full sync is over.</summary>
    public void Counted(long pending)
    {
        lock (_gate)
        {
            _added &= pending != 0;
        }
    }

    /// <summary>Starts a new read (later than any before); returns <see langword="false"/> when this host is reading one already.</summary>
    public async ValueTask<bool> RequestAsync(Func<IServiceProvider, IEntitySource> source, CancellationToken cancellationToken)
    {
        if (Current().Source is not null)
        {
            return false;
        }

        var last = EntityFullSyncProgress.Parse(await store.GetCheckpointAsync(_key, cancellationToken).ConfigureAwait(false));
        var (now, after) = (time.GetUtcNow(), last.RequestedAt.AddTicks(1));
        var progress = new EntityFullSyncProgress(now > after ? now : after, 0, Done: false, _owner, now);
        var written = await writes.TryWriteAsync(() => store.SetCheckpointAsync(_key, progress.ToString(), cancellationToken)).ConfigureAwait(false);
        lock (_gate)
        {
            if (_source is not null || !written)
            {
                return false;
            }

            (_source, _progress) = (source, progress);
            return true;
        }
    }

    /// <summary>Takes up a read the checkpoint shows unfinished that this host may read (at each pass while it reads none).</summary>
    public async ValueTask ResumeUnfinishedAsync()
    {
        if (Current().Source is not null)
        {
            return;
        }

        var progress = EntityFullSyncProgress.Parse(await store.GetCheckpointAsync(_key, CancellationToken.None).ConfigureAwait(false));
        if (!MayRead(progress))
        {
            return;
        }

        if (declaredSource is null)
        {
            if (_unresumable != progress.RequestedAt)
            {
                // Never silent: the read stopped and this host cannot go on with it.
                _unresumable = progress.RequestedAt;
                failed($"Full sync: the read requested at {progress.RequestedAt:O} stopped after {progress.Read} entities and cannot be resumed here (no entity source is declared for '{entityType}'); request a new full sync.");
            }

            return;
        }

        lock (_gate)
        {
            if (_source is null)
            {
                (_source, _progress) = (declaredSource, progress);
            }
        }
    }

    /// <summary>Leaves the read this host was doing to the next host at once (a stop): the checkpoint names no reader.</summary>
    public async ValueTask ReleaseAsync()
    {
        var (source, progress) = Current();
        if (source is null)
        {
            return;
        }

        try
        {
            var stored = EntityFullSyncProgress.Parse(await store.GetCheckpointAsync(_key, CancellationToken.None).ConfigureAwait(false));
            if (stored is { Done: false } && stored.RequestedAt == progress.RequestedAt && stored.Owner == _owner)
            {
                await writes.TryWriteAsync(() => store.SetCheckpointAsync(_key, (stored with { Owner = string.Empty }).ToString(), CancellationToken.None)).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            EntitySyncLog.FullSyncFailed(logger, entityType, targetName, ex);  // taken over once the lease ends
        }
    }

    /// <summary>Whether this host may read <paramref name="stored"/>: unfinished, read by none, by this host, or by one silent for longer than the lease.</summary>
    private bool MayRead(EntityFullSyncProgress stored) =>
        stored is { Done: false, RequestedAt.Ticks: > 0 }
        && (stored.Owner.Length == 0 || stored.Owner == _owner || time.GetUtcNow() - stored.WrittenAt >= identity.LeaseDuration);

    /// <summary>Reads the next page of <paramref name="pageSize"/> entities into the store (a stop drops a page half read); returns whether there may be more to read.</summary>
    public async ValueTask<bool> ReadPageAsync(int pageSize, CancellationToken stopping)
    {
        var (source, progress) = Current();
        if (source is null)
        {
            return false;
        }

        EntityFullSyncProgress stored;
        try
        {
            stored = EntityFullSyncProgress.Parse(await store.GetCheckpointAsync(_key, CancellationToken.None).ConfigureAwait(false));
        }
        catch
        {
            await EndAsync().ConfigureAwait(false);  // read again from the checkpoint at the next pass
            throw;
        }

        if (stored.RequestedAt != progress.RequestedAt || !MayRead(stored))
        {
            // A newer request, the read done, or another host reading it (this one takes it up again if that host goes silent).
            lock (_gate)
            {
                _source = null;
            }

            await EndAsync().ConfigureAwait(false);
            return false;
        }

        if (stored.Read != progress.Read)
        {
            // Another host read on meanwhile (this one was silent for longer than the lease): go on from its checkpoint.
            await EndAsync().ConfigureAwait(false);
            progress = stored;
        }

        var (page, ended) = (new List<EntityChange>(pageSize), false);
        try
        {
            if (_reader is null)
            {
                _scope = services.CreateAsyncScope();
                _reader = source(_scope.Value.ServiceProvider).ReadAllAsync(entityType, stopping).GetAsyncEnumerator(stopping);
                EntitySyncLog.FullSyncStarted(logger, entityType, targetName);
                for (var skip = progress.Read; skip > 0 && !ended; skip--)
                {
                    ended = !await _reader.MoveNextAsync().ConfigureAwait(false);
                }
            }

            while (page.Count < pageSize && !ended && !(ended = !await _reader.MoveNextAsync().ConfigureAwait(false)))
            {
                if (_reader.Current is { } change && string.Equals(change.EntityType, entityType, StringComparison.OrdinalIgnoreCase))
                {
                    page.Add(EntitySyncService.Canonical(change, entityType));
                }
                else
                {
                    failed($"Full sync: the entity source returned {(object?)_reader.Current ?? "null"} for a sync of '{entityType}'; ignored.");
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            await EndAsync().ConfigureAwait(false);  // resumed from the checkpoint
            return false;
        }
        catch (Exception ex)
        {
            failed($"Full sync failed: {ex.GetType().Name}: {ex.Message}");
            EntitySyncLog.FullSyncFailed(logger, entityType, targetName, ex);
            ended = true;
        }

        var next = progress with { Read = progress.Read + page.Count, Done = ended, Owner = _owner, WrittenAt = time.GetUtcNow() };
        try
        {
            // Not once the lane was retired: the type's or target's state was cleared, and the page would put rows back.
            await writes.TryWriteAsync(async () =>
            {
                if (page.Count > 0)
                {
                    await store.AddEntityChangesAsync([targetName], page, repair: true, CancellationToken.None).ConfigureAwait(false);
                }

                await store.SetCheckpointAsync(_key, next.ToString(), CancellationToken.None).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        catch
        {
            await EndAsync().ConfigureAwait(false);  // read again from the checkpoint at the next pass
            throw;
        }

        lock (_gate)
        {
            (_progress, _added, _source) = (next, _added || page.Count > 0, next.Done ? null : _source);
        }

        if (next.Done)
        {
            await EndAsync().ConfigureAwait(false);
        }

        return !next.Done || page.Count > 0;
    }

    private (Func<IServiceProvider, IEntitySource>? Source, EntityFullSyncProgress Progress) Current()
    {
        lock (_gate)
        {
            return (_source, _progress);
        }
    }

    /// <summary>The schedule role's checkpoint that keeps the full-sync progress of a type at a target.</summary>
    public static string CheckpointKey(string entityType, string targetName) => $"entity-sync:{entityType}:{targetName}:full-sync";

    /// <summary>Closes the source's reader, if open (the read stays where the checkpoint says).</summary>
    public async ValueTask EndAsync()
    {
        if (_reader is { } reader)
        {
            _reader = null;
            try
            {
                await reader.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                EntitySyncLog.FullSyncFailed(logger, entityType, targetName, ex);
            }

            EntitySyncLog.FullSyncEnded(logger, entityType, targetName);
        }

        if (_scope is { } scope)
        {
            _scope = null;
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }
}
