using Commerce.Jobs.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>The inbox (claimed with <c>FOR UPDATE SKIP LOCKED</c> under leases), occurrence claims and checkpoints.</summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask EnqueueRecordsAsync(string jobName, IReadOnlyList<PendingRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        var ids = new string[records.Count];
        var keys = new string[records.Count];
        var payloads = new byte[records.Count][];
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            ids[i] = StoredText.Escape(record.RecordId);
            keys[i] = StoredText.Escape(record.IdempotencyKey);
            payloads[i] = record.Payload;
        }

        using var command = await CreateCommandAsync(_sql.Enqueue, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Param(ids));
        command.Parameters.Add(Param(keys));
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<PendingRecord>> ClaimRecordsAsync(string jobName, RecordClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.MaxRecords <= 0)
        {
            return [];
        }

        using var command = await CreateCommandAsync(_sql.Claim, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Param(claim.AfterSequence));
        command.Parameters.Add(Param(claim.IncludeFailed));
        command.Parameters.Add(Param(claim.Now.ToUniversalTime()));
        command.Parameters.Add(Param(claim.MaxRecords));
        command.Parameters.Add(Param(StoredText.Escape(claim.Owner)));
        command.Parameters.Add(Param(claim.LeaseUntil.ToUniversalTime()));
        var claimed = new List<PendingRecord>(Math.Min(claim.MaxRecords, 1024));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            claimed.Add(new PendingRecord(
                ReadText(reader, 1),
                ReadText(reader, 2),
                reader.GetFieldValue<byte[]>(3),
                reader.GetInt64(0),
                reader.GetInt32(4),
                ReadTextOrNull(reader, 5)));
        }

        return claimed;
    }

    public async ValueTask CompleteRecordsAsync(string jobName, string owner, IReadOnlyList<RecordCompletion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0)
        {
            return;
        }

        var sequences = new long[completions.Count];
        var allDelivered = true;
        for (var i = 0; i < completions.Count; i++)
        {
            sequences[i] = completions[i].Sequence;
            allDelivered &= completions[i].Status == RecordStatus.Delivered;
        }

        if (allDelivered)
        {
            // The common case: one plain delete.
            using var delete = await CreateCommandAsync(_sql.CompleteDelivered, cancellationToken).ConfigureAwait(false);
            delete.Parameters.Add(Param(Key(jobName)));
            delete.Parameters.Add(Param(sequences));
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var statuses = new short[completions.Count];
        var errors = new string?[completions.Count];
        for (var i = 0; i < completions.Count; i++)
        {
            statuses[i] = (short)completions[i].Status;
            errors[i] = StoredText.Escape(completions[i].Error);
        }

        using var command = await CreateCommandAsync(_sql.Complete, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Param(sequences));
        command.Parameters.Add(Param(statuses));
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = errors, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(Param(StoredText.Escape(owner)));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int> RenewLeasesAsync(string jobName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        using var command = await CreateCommandAsync(_sql.RenewLeases, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Param(StoredText.Escape(owner)));
        command.Parameters.Add(Param(leaseUntil.ToUniversalTime()));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long> CountPendingRecordsAsync(string jobName, CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.CountPending, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async ValueTask<bool> TryClaimOccurrenceAsync(string jobName, DateTimeOffset scheduledTime, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        using var command = await CreateCommandAsync(_sql.ClaimOccurrence, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Param(scheduledTime.ToUniversalTime()));
        command.Parameters.Add(Param(StoredText.Escape(owner)));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async ValueTask<string?> GetCheckpointAsync(string jobName, CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetCheckpoint, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        return StoredText.Unescape(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string);
    }

    public async ValueTask SetCheckpointAsync(string jobName, string? checkpoint, CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(checkpoint is null ? _sql.ClearCheckpoint : _sql.SetCheckpoint, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        if (checkpoint is not null)
        {
            command.Parameters.Add(Param(StoredText.Escape(checkpoint)));
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
