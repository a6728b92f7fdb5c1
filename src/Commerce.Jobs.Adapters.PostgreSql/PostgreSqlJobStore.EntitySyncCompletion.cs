using Commerce.Jobs.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>
/// Entity sync, the settling side: completions (one batch, one transaction, under the (type, target) advisory lock:
/// delivered versions raised, the owner's held rows removed, skipped or released, counts added), counts, tombstone
/// purges and clearing a type (see <c>PostgreSqlJobStore.EntitySync.cs</c>).
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask CompleteEntityChangesAsync(string entityType, string targetName, string owner, IReadOnlyList<EntityChangeCompletion> completions, DateTimeOffset now, DateTimeOffset retrySkippedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(completions);
        var entity = Key(entityType);
        var target = Key(targetName);
        if (completions.Count == 0)
        {
            return;
        }

        long deliveredCount = 0, skippedCount = 0, failedCount = 0;
        long? lastDeliveredVersion = null;
        string? lastError = null;
        var hasError = false;
        var owned = StoredText.Escape(owner);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        using var batch = _dataSource.CreateBatch();   // one implicit transaction
        batch.BatchCommands.Add(LockCommand([string.Concat(entity, KeySeparator.ToString(), target)]));

        // Applied in order, as if one call per completion: a run of completions of distinct ids is settled by one set of
        // statements (set-wise is then the same as one by one), and an id named again starts the next run.
        var run = new CompletionRun();
        foreach (var (change, status, error) in completions)
        {
            ArgumentNullException.ThrowIfNull(change, nameof(completions));
            var id = StoredText.Escape(change.Id);
            if (!run.Ids.Add(id))
            {
                AddSettleCommands(batch, entity, target, owned, run, now, retrySkippedAt);
                run = new CompletionRun();
                run.Ids.Add(id);
            }

            switch (status)
            {
                case RecordStatus.Delivered:
                    deliveredCount++;
                    lastDeliveredVersion = Math.Max(lastDeliveredVersion ?? long.MinValue, change.Version);
                    run.Done.Add(id, change, null);
                    run.Delivered.Add(id, change, null);
                    break;
                case RecordStatus.Skipped:
                    skippedCount++;
                    (lastError, hasError) = (error, true);
                    run.Skipped.Add(id, change, StoredText.Escape(error));
                    break;
                case RecordStatus.PermanentFailure:
                    failedCount++;
                    (lastError, hasError) = (error, true);
                    run.Done.Add(id, change, null);
                    break;
                default:
                    break;   // released unattempted: only the lease ends
            }
        }

        AddSettleCommands(batch, entity, target, owned, run, now, retrySkippedAt);
        if (deliveredCount + skippedCount + failedCount > 0)
        {
            var counts = new NpgsqlBatchCommand(_sql.AddEntitySyncCounts);
            counts.Parameters.Add(Param(entity));
            counts.Parameters.Add(Param(target));
            counts.Parameters.Add(Param(deliveredCount));
            counts.Parameters.Add(Param(skippedCount));
            counts.Parameters.Add(Param(failedCount));
            counts.Parameters.Add(new NpgsqlParameter { Value = (object?)lastDeliveredVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            counts.Parameters.Add(new NpgsqlParameter { Value = lastDeliveredVersion is null ? DBNull.Value : now.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            counts.Parameters.Add(Text(StoredText.Escape(lastError)));
            counts.Parameters.Add(new NpgsqlParameter { Value = hasError ? now.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(counts);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<EntitySyncCounts> GetEntitySyncCountsAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetEntitySyncCounts, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(entityType)));
        command.Parameters.Add(Param(Key(targetName)));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new EntitySyncCounts(
            reader.GetInt64(0),
            reader.IsDBNull(1) ? 0 : reader.GetInt64(1),
            reader.IsDBNull(2) ? 0 : reader.GetInt64(2),
            reader.IsDBNull(3) ? 0 : reader.GetInt64(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            ReadTextOrNull(reader, 6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
    }

    public async ValueTask<int> PurgeEntityTombstonesAsync(string entityType, DateTimeOffset deliveredBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        using var command = await CreateCommandAsync(_sql.PurgeTombstones, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(entityType)));
        command.Parameters.Add(Param(deliveredBefore.ToUniversalTime()));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ClearEntitySyncAsync(string entityType, string? targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        using var batch = _dataSource.CreateBatch();
        foreach (var sql in new[] { _sql.ClearHeld, _sql.ClearDelivered, _sql.ClearCounts })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(Param(Key(entityType)));
            command.Parameters.Add(Text(targetName is null ? null : Key(targetName)));
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds the statements that settle a run of completions of distinct ids: delivered versions, removals, skips, releases.</summary>
    private void AddSettleCommands(NpgsqlBatch batch, string entity, string target, string owner, CompletionRun run, DateTimeOffset now, DateTimeOffset retrySkippedAt)
    {
        if (run.Delivered.Count > 0)
        {
            var raise = new NpgsqlBatchCommand(_sql.RaiseDelivered);
            raise.Parameters.Add(Param(target));
            raise.Parameters.Add(Param(Enumerable.Repeat(entity, run.Delivered.Count).ToArray()));
            raise.Parameters.Add(Param(run.Delivered.Ids.ToArray()));
            raise.Parameters.Add(Param(run.Delivered.Versions.ToArray()));
            raise.Parameters.Add(Hashes(run.Delivered.Ids));
            raise.Parameters.Add(Param(run.Delivered.Kinds.ToArray()));
            raise.Parameters.Add(Param(now.ToUniversalTime()));
            batch.BatchCommands.Add(raise);
        }

        if (run.Done.Count > 0)
        {
            batch.BatchCommands.Add(SettleCommand(_sql.CompleteRemoveHeld, entity, target, owner, run.Done));
        }

        if (run.Skipped.Count > 0)
        {
            var skip = SettleCommand(_sql.CompleteSkipHeld, entity, target, owner, run.Skipped);
            skip.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. run.Skipped.Errors], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            skip.Parameters.Add(Param(retrySkippedAt.ToUniversalTime()));
            batch.BatchCommands.Add(skip);
        }

        var release = new NpgsqlBatchCommand(_sql.ReleaseHeld);
        release.Parameters.Add(Param(entity));
        release.Parameters.Add(Param(target));
        release.Parameters.Add(Param(owner));
        release.Parameters.Add(Hashes([.. run.Ids]));
        batch.BatchCommands.Add(release);
    }

    /// <summary>A completion statement over the owner's held rows of one (type, target): $4 id hashes, $5 kinds, $6 versions.</summary>
    private static NpgsqlBatchCommand SettleCommand(string sql, string entity, string target, string owner, SettledRows rows)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(Param(entity));
        command.Parameters.Add(Param(target));
        command.Parameters.Add(Param(owner));
        command.Parameters.Add(Hashes(rows.Ids));
        command.Parameters.Add(Param(rows.Kinds.ToArray()));
        command.Parameters.Add(Param(rows.Versions.ToArray()));
        return command;
    }

    /// <summary>Completed changes of one (type, target), column by column (for <c>unnest</c>): stored ids, kinds, versions and errors.</summary>
    private sealed class SettledRows
    {
        public List<string> Ids { get; } = [];

        public List<short> Kinds { get; } = [];

        public List<long> Versions { get; } = [];

        public List<string?> Errors { get; } = [];

        public int Count => Ids.Count;

        public void Add(string id, EntityChange change, string? error)
        {
            Ids.Add(id);
            Kinds.Add((short)change.Kind);
            Versions.Add(change.Version);
            Errors.Add(error);
        }
    }

    /// <summary>A run of completions of distinct ids (stored ids), by what settles them.</summary>
    private sealed class CompletionRun
    {
        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

        /// <summary>Gets the delivered or failed for good: the owner's row goes unless it comes after.</summary>
        public SettledRows Done { get; } = new();

        public SettledRows Skipped { get; } = new();

        public SettledRows Delivered { get; } = new();
    }
}
