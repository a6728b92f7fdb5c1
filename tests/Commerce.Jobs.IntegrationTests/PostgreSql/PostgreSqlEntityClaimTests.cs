using System.Collections.Concurrent;
using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// Held entity changes claimed by several hosts at once (one store, with its own connections, per host on one schema):
/// claims hand each id to one host at a time, and a claim is one index range per page.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlEntityClaimTests(PostgreSqlServer server) : IAsyncLifetime
{
    private const string Type = "categories";
    private const string Target = "search";
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("entity_claims");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Hosts_claiming_one_type_and_target_at_once_never_get_one_id_twice_while_leases_run_and_together_get_every_row()
    {
        const int Rows = 800;
        var stores = await OpenAsync("claim_race", hosts: 4);
        try
        {
            IReadOnlyList<EntityChange> changes = [.. Enumerable.Range(0, Rows).Select(i => EntityChange.Upsert(Type, $"c-{i:D4}", new { i }, i % 7))];
            await stores[0].AddEntityChangesAsync([Target], changes, repair: false, default);

            // Every host claims small pages as fast as it can until nothing is left to claim; nobody completes, so every
            // lease runs for the whole test.
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var claimed = new ConcurrentBag<(string Owner, string Id, long Sequence)>();
            var hosts = stores.Select((store, h) => Task.Run(async () =>
            {
                var owner = $"host-{h}";
                await start.Task;
                while (true)
                {
                    var page = await store.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim(owner, 1 + (h * 3), T0, T0.AddMinutes(5)), default);
                    if (page.Count == 0)
                    {
                        return;
                    }

                    Assert.Equal(page.Select(c => c.Sequence).Order(), page.Select(c => c.Sequence));
                    foreach (var change in page)
                    {
                        claimed.Add((owner, change.Change.Id, change.Sequence));
                    }
                }
            })).ToList();
            start.SetResult();
            await Task.WhenAll(hosts).WaitAsync(Timeout);

            var duplicates = claimed.GroupBy(c => c.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key} by {string.Join(", ", g.Select(c => c.Owner))}").ToList();
            Assert.True(duplicates.Count == 0, $"ids claimed twice: {string.Join("; ", duplicates.Take(10))}");
            Assert.Equal(changes.Select(c => c.Id).Order(StringComparer.Ordinal), claimed.Select(c => c.Id).Order(StringComparer.Ordinal));
            Assert.True(claimed.Select(c => c.Owner).Distinct().Count() > 1, "one host claimed every row: the claims did not overlap");

            // While the leases run nothing more is claimable; once they end, another host takes them over.
            Assert.Empty(await stores[1].ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim("late", Rows, T0.AddMinutes(5).AddTicks(-10), T0.AddMinutes(10)), default));
            Assert.Equal(Rows, (await stores[1].ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim("late", Rows, T0.AddMinutes(5), T0.AddMinutes(10)), default)).Count);
            Assert.Equal(Rows, (await stores[2].GetEntitySyncCountsAsync(Type, Target, default)).Pending);
        }
        finally
        {
            await DisposeAllAsync(stores);
        }
    }

    [Fact]
    public async Task Hosts_delivering_what_they_claim_while_changes_keep_coming_never_take_an_id_back_and_end_with_every_last_version()
    {
        const int Ids = 40;
        const int Versions = 30;
        var stores = await OpenAsync("deliver_race", hosts: 3);
        try
        {
            // The target: per id, the changes in the order they reached it; one delivery of an id at a time is asserted.
            var seen = new ConcurrentDictionary<string, List<(long Version, EntityChangeKind Kind)>>(StringComparer.Ordinal);
            var inFlight = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
            var overlaps = new ConcurrentQueue<string>();
            var published = 0;

            // A publisher adds every version of every id in a shuffled order (older ones after newer ones too), upserts and
            // deletes mixed; each host claims, "delivers", and completes, until everything is published and nothing held.
            var random = new Random(15);
            var all = (from id in Enumerable.Range(0, Ids) from v in Enumerable.Range(1, Versions) select (Id: $"e-{id:D2}", Version: (long)v)).OrderBy(_ => random.Next()).ToList();
            var publisher = Task.Run(async () =>
            {
                foreach (var chunk in all.Chunk(17))
                {
                    await stores[0].AddEntityChangesAsync(
                        [Target],
                        [.. chunk.Select(c => c.Version % 5 == 0 ? EntityChange.Delete(Type, c.Id, c.Version) : EntityChange.Upsert(Type, c.Id, c.Version, c.Version))],
                        repair: false,
                        default);
                }

                Volatile.Write(ref published, 1);
            });
            var hosts = stores.Select((store, h) => Task.Run(async () =>
            {
                var owner = $"host-{h}";
                while (true)
                {
                    var done = Volatile.Read(ref published) == 1;
                    var page = await store.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim(owner, 5, T0, T0.AddHours(1)), default);
                    if (page.Count == 0)
                    {
                        if (done && (await store.GetEntitySyncCountsAsync(Type, Target, default)).Pending == 0)
                        {
                            return;
                        }

                        await Task.Yield();
                        continue;
                    }

                    foreach (var held in page)
                    {
                        var id = held.Change.Id;
                        if (!inFlight.TryAdd(id, owner))
                        {
                            overlaps.Enqueue($"{id}: {owner} while {inFlight[id]}");
                        }

                        var list = seen.GetOrAdd(id, _ => []);
                        lock (list)
                        {
                            list.Add((held.Change.Version, held.Change.Kind));
                        }
                    }

                    foreach (var held in page)
                    {
                        inFlight.TryRemove(held.Change.Id, out _);
                    }

                    await store.CompleteEntityChangesAsync(Type, Target, owner, [.. page.Select(c => new EntityChangeCompletion(c.Change, RecordStatus.Delivered))], T0, T0, default);
                }
            })).ToList();
            await Task.WhenAll(hosts.Append(publisher)).WaitAsync(Timeout);

            Assert.Empty(overlaps);
            Assert.Equal(Ids, seen.Count);
            foreach (var (id, deliveries) in seen)
            {
                var positions = deliveries.Select(d => (d.Version, d.Kind == EntityChangeKind.Delete ? 1 : 0)).ToList();
                Assert.True(positions.Zip(positions.Skip(1)).All(p => p.First.CompareTo(p.Second) < 0), $"{id} went back or was delivered twice: {string.Join(", ", deliveries)}");
                Assert.Equal((long)Versions, deliveries[^1].Version);
            }

            Assert.All((await stores[1].GetDeliveredEntityVersionsAsync(Type, Target, default)).Values, v => Assert.Equal(Versions, v));
            var counts = await stores[2].GetEntitySyncCountsAsync(Type, Target, default);
            Assert.Equal((0L, (long)seen.Values.Sum(d => d.Count)), (counts.Pending, counts.Delivered));
        }
        finally
        {
            await DisposeAllAsync(stores);
        }
    }

    [Fact]
    public async Task A_claim_deletes_rows_stale_against_the_delivered_version_and_claims_on_past_them()
    {
        var stores = await OpenAsync("stale", hosts: 1);
        var store = stores[0];
        try
        {
            await store.AddEntityChangesAsync([Target], [.. Enumerable.Range(0, 12).Select(i => EntityChange.Upsert(Type, $"c-{i:D2}", null, 3))], repair: false, default);
            await store.AddEntityChangesAsync([Target], [EntityChange.Upsert(Type, "r-1", null, 3)], repair: true, default);

            // Another host delivered version 3 of the first ten ids and of the repair (completions by an owner that holds none
            // of the rows: the delivered versions move, the rows stay).
            await store.CompleteEntityChangesAsync(
                Type, Target, "elsewhere", [.. Enumerable.Range(0, 10).Select(i => new EntityChangeCompletion(EntityChange.Upsert(Type, $"c-{i:D2}", null, 3), RecordStatus.Delivered)), new(EntityChange.Upsert(Type, "r-1", null, 3), RecordStatus.Delivered)], T0, T0, default);
            Assert.Equal(13, (await store.GetEntitySyncCountsAsync(Type, Target, default)).Pending);

            // The first page holds only stale rows: they are deleted and the claim reads on to fill its three.
            var claimed = await store.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim("host-a", 3, T0, T0.AddMinutes(5)), default);
            Assert.Equal(["c-10", "c-11", "r-1"], claimed.Select(c => c.Change.Id));
            Assert.True(claimed[^1].Repair);
            Assert.Equal(3, (await store.GetEntitySyncCountsAsync(Type, Target, default)).Pending);
        }
        finally
        {
            await DisposeAllAsync(stores);
        }
    }

    [Fact]
    public async Task A_delivered_row_of_unknown_kind_counts_as_an_upsert_as_in_the_sqlite_store()
    {
        var stores = await OpenAsync("unknown_kind", hosts: 1);
        var store = stores[0];
        try
        {
            // Version 3 of three ids delivered before kinds were kept (migration 5): the delivered rows' kind is NULL.
            string[] ids = ["a", "b", "c"];
            await store.CompleteEntityChangesAsync(Type, Target, "elsewhere", [.. ids.Select(id => new EntityChangeCompletion(EntityChange.Upsert(Type, id, null, 3), RecordStatus.Delivered))], T0, T0, default);
            await using (var connection = new NpgsqlConnection(_connectionString))
            {
                await connection.OpenAsync();
                await using var unknown = new NpgsqlCommand("UPDATE unknown_kind.entity_delivered SET kind = NULL", connection);
                Assert.Equal(3, await unknown.ExecuteNonQueryAsync());
            }

            // An incremental upsert at that version is stale (not held); a delete at it and a repair at it come after or at it.
            await store.AddEntityChangesAsync([Target], [EntityChange.Upsert(Type, "a", null, 3), EntityChange.Delete(Type, "b", 3)], repair: false, default);
            await store.AddEntityChangesAsync([Target], [EntityChange.Upsert(Type, "c", null, 3)], repair: true, default);
            var claimed = await store.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim("host-a", 10, T0, T0.AddMinutes(5)), default);
            Assert.Equal(["b", "c"], claimed.Select(c => c.Change.Id).Order(StringComparer.Ordinal));
            Assert.Equal(EntityChangeKind.Delete, claimed.Single(c => c.Change.Id == "b").Change.Kind);
            Assert.Equal(2, (await store.GetEntitySyncCountsAsync(Type, Target, default)).Pending);
        }
        finally
        {
            await DisposeAllAsync(stores);
        }
    }

    [Theory]
    [InlineData(false, "entity_changes_claim")]
    [InlineData(true, "entity_changes_claim_deletes")]
    public async Task A_claim_page_is_one_range_of_its_index_in_sequence_order(bool holdUpserts, string index)
    {
        var schema = holdUpserts ? "plan_paused" : "plan";
        var stores = await OpenAsync(schema, hosts: 1);
        try
        {
            IReadOnlyList<EntityChange> changes = [.. Enumerable.Range(0, 2_000).Select(i => i % 10 == 0 ? EntityChange.Delete(Type, $"c-{i}", 1) : EntityChange.Upsert(Type, $"c-{i}", null, 1))];
            await stores[0].AddEntityChangesAsync([Target, "erp"], changes, repair: false, default);
            await stores[0].CompleteEntityChangesAsync(Type, "erp", "host-a", [.. changes.Select(c => new EntityChangeCompletion(c, RecordStatus.Delivered))], T0, T0, default);
        }
        finally
        {
            await DisposeAllAsync(stores);
        }

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using (var analyze = new NpgsqlCommand($"ANALYZE {schema}.entity_changes; ANALYZE {schema}.entity_delivered; SET enable_seqscan = off;", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + PostgreSqlJobStore.ClaimPageSql(schema, holdUpserts), connection);
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Type });
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Target });
        explain.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 100 });
        explain.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = T0.UtcDateTime });
        explain.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 50 });
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "host-a" });
        explain.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = T0.AddMinutes(5).UtcDateTime });
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var text = string.Join('\n', plan);
        var lines = text.Split('\n');
        var picked = string.Join('\n', lines.SkipWhile(l => !l.Contains("CTE picked", StringComparison.Ordinal)).Skip(1).TakeWhile(l => !l.Contains("CTE ", StringComparison.Ordinal)));
        Assert.True(picked.Length > 0, text);
        Assert.True(picked.Contains($"Index Scan using {index} on entity_changes", StringComparison.Ordinal) && picked.Contains("sequence >", StringComparison.Ordinal), text);
        Assert.False(picked.Contains("Sort", StringComparison.Ordinal), text);

        // The delivered version of each row read is one probe of the delivered rows' primary key, never a scan of them.
        Assert.True(picked.Contains("using entity_delivered_pkey on entity_delivered", StringComparison.Ordinal) && picked.Contains("entity_id_hash = e.entity_id_hash", StringComparison.Ordinal), text);
    }

    [Fact]
    public async Task Skipped_changes_not_yet_due_are_not_read_by_a_claim_and_a_claim_leases_its_rows_by_address()
    {
        const string Schema = "skipped";
        var stores = await OpenAsync(Schema, hosts: 1);
        var store = stores[0];
        var retryAt = T0.AddMinutes(10);
        try
        {
            await store.AddEntityChangesAsync([Target], [.. Enumerable.Range(0, 2_000).Select(i => EntityChange.Upsert(Type, $"c-{i:D4}", null, 1))], repair: false, default);
            var claimed = await store.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim("host-a", 2_000, T0, T0.AddMinutes(5)), default);
            await store.CompleteEntityChangesAsync(Type, Target, "host-a", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Skipped, "busy"))], T0, retryAt, default);
            await store.AddEntityChangesAsync([Target], [EntityChange.Upsert(Type, "new", null, 1)], repair: false, default);
        }
        finally
        {
            await DisposeAllAsync(stores);
        }

        // Before the due time, the claim's index range holds the new row only: the 2,000 skipped ones are not read.
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        var plan = await ExplainAnalyzeAsync(connection, Schema, retryAt.AddTicks(-10));
        var picked = string.Join('\n', plan.SkipWhile(l => !l.Contains("CTE picked", StringComparison.Ordinal)).Skip(1).TakeWhile(l => !l.Contains("CTE ", StringComparison.Ordinal)));
        Assert.Contains("Index Scan using entity_changes_claim on entity_changes", picked, StringComparison.Ordinal);
        Assert.Contains("rows=1 loops=1", picked.Split('\n').First(l => l.Contains("Index Scan using entity_changes_claim", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.DoesNotContain("Rows Removed by Filter", picked, StringComparison.Ordinal);

        // The picked rows are leased (or removed) by their address, one row each, whatever the tables' statistics.
        var lease = string.Join('\n', plan.SkipWhile(l => !l.Contains("CTE claimed", StringComparison.Ordinal)));
        Assert.Contains("Tid Scan on entity_changes", lease, StringComparison.Ordinal);

        // The promotion of due rows is one range of entity_changes_waiting.
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await using (var noScan = new NpgsqlCommand("SET LOCAL enable_seqscan = off", connection, transaction))
            {
                await noScan.ExecuteNonQueryAsync();
            }

            await using var promote = new NpgsqlCommand("EXPLAIN " + PostgreSqlJobStore.PromoteSql(Schema), connection, transaction);
            promote.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Type });
            promote.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Target });
            promote.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = retryAt.UtcDateTime });
            var promotion = new List<string>();
            await using (var reader = await promote.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    promotion.Add(reader.GetString(0));
                }
            }

            Assert.Contains(promotion, l => l.Contains("Index Scan on entity_changes_waiting", StringComparison.Ordinal) || l.Contains("Index Scan using entity_changes_waiting", StringComparison.Ordinal));
            await transaction.RollbackAsync();
        }

        await using (var stores2 = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = Schema }))
        {
            Assert.Equal(["new"], (await stores2.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim("host-b", 5_000, retryAt.AddTicks(-10), retryAt.AddHours(1)), default)).Select(h => h.Change.Id));
            var retried = await stores2.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim("host-b", 5_000, retryAt, retryAt.AddHours(1)), default);
            Assert.Equal(2_000, retried.Count);
            Assert.All(retried, h => Assert.Equal((1, "busy"), (h.Attempts, h.LastError)));
        }
    }

    /// <summary>EXPLAIN ANALYZE of a claim page at <paramref name="now"/>, rolled back.</summary>
    private static async Task<List<string>> ExplainAnalyzeAsync(NpgsqlConnection connection, string schema, DateTimeOffset now)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var noScan = new NpgsqlCommand("SET LOCAL enable_seqscan = off", connection, transaction))
        {
            await noScan.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, COSTS OFF) " + PostgreSqlJobStore.ClaimPageSql(schema, holdUpserts: false), connection, transaction);
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Type });
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Target });
        explain.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 0 });
        explain.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        explain.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 100 });
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "host-x" });
        explain.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.AddHours(1).UtcDateTime });
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        await transaction.RollbackAsync();
        return plan;
    }

    private async Task<List<PostgreSqlJobStore>> OpenAsync(string schema, int hosts)
    {
        var stores = Enumerable.Range(0, hosts).Select(_ => new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = schema })).ToList();
        await stores[0].EnsureInitializedAsync(default);
        return stores;
    }

    private static async Task DisposeAllAsync(IEnumerable<PostgreSqlJobStore> stores)
    {
        foreach (var store in stores)
        {
            await store.DisposeAsync();
        }
    }
}
