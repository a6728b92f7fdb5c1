using System.Text.Json;
using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

public sealed class SqliteMigrationTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public void Open_creates_the_schema_and_records_its_version()
    {
        using (_database.Open())
        {
        }

        Assert.Equal(Enumerable.Range(1, SqliteStoreSchema.CurrentVersion), Query<long>("SELECT version FROM schema_version ORDER BY version;").Select(v => (int)v));
        Assert.Superset(
            new HashSet<string> { "runs", "record_failures", "inbox", "occurrences", "checkpoints", "entity_held", "entity_sequence", "entity_delivered", "entity_tombstones", "entity_sync_counts", "operator_state", "schema_version" },
            Query<string>("SELECT name FROM sqlite_master WHERE type = 'table';").ToHashSet());
        Assert.Equal("wal", Query<string>("PRAGMA journal_mode;").Single());
    }

    [Fact]
    public async Task Reopening_is_idempotent_and_keeps_the_data()
    {
        using (var store = _database.Open())
        {
            await store.SetCheckpointAsync("order-export", "2026-11-23", default);
        }

        for (var i = 0; i < 3; i++)
        {
            using var store = _database.Open();
            Assert.Equal("2026-11-23", await store.GetCheckpointAsync("order-export", default));
        }

        Assert.Equal(SqliteStoreSchema.CurrentVersion, Query<long>("SELECT version FROM schema_version;").Count);
    }

    [Fact]
    public void Without_AutoMigrate_an_empty_file_fails_naming_the_expected_version()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => _database.Open(o => o.AutoMigrate = false));

        Assert.Contains("schema version 0", ex.Message);
        Assert.Contains($"version {SqliteStoreSchema.CurrentVersion} is expected", ex.Message);
        Assert.Contains("AutoMigrate", ex.Message);
        Assert.Contains(_database.Path, ex.Message);
    }

    [Fact]
    public async Task Without_AutoMigrate_a_database_migrated_by_the_host_opens()
    {
        Execute(SqliteStoreSchema.GetMigrationScript());
        Execute(SqliteStoreSchema.GetMigrationScript()); // the script is idempotent

        using var store = _database.Open(o => o.AutoMigrate = false);
        await store.EnqueueRecordsAsync("a", [new PendingRecord("1", "a:1", [1])], default);
        Assert.Equal(1, await store.CountPendingRecordsAsync("a", default));
        Assert.Equal("COMMIT;", SqliteStoreSchema.GetMigrationScript(SqliteStoreSchema.CurrentVersion).Trim().Split('\n')[^1].Trim());
    }

    [Fact]
    public void A_schema_newer_than_the_package_is_refused_even_with_AutoMigrate()
    {
        using (_database.Open())
        {
        }

        Execute($"INSERT INTO schema_version (version, applied_at) VALUES ({SqliteStoreSchema.CurrentVersion + 1}, 'later');");

        var ex = Assert.Throws<InvalidOperationException>(() => _database.Open());
        Assert.Contains($"schema version {SqliteStoreSchema.CurrentVersion + 1}", ex.Message);
        Assert.Contains("Upgrade", ex.Message);
    }

    [Fact]
    public void Invalid_options_are_refused_naming_the_setting()
    {
        var missing = Assert.Throws<ArgumentException>(() => SqliteJobStore.Open(new SqliteStoreOptions()));
        Assert.Contains("ConnectionString is required", missing.Message);

        foreach (var busyTimeout in new[] { TimeSpan.FromSeconds(-1), TimeSpan.Zero, TimeSpan.FromHours(2) })
        {
            var timeout = Assert.Throws<ArgumentException>(() => _database.Open(o => o.BusyTimeout = busyTimeout));
            Assert.Contains("BusyTimeout must be between", timeout.Message);
        }
    }

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task A_database_at_version_1_is_migrated_to_the_current_version_keeping_its_data()
    {
        Execute(SqliteMigrations.VersionTable + SqliteMigrations.All[0] + SqliteMigrations.Record(1));
        Execute("INSERT INTO checkpoints (job_name, value) VALUES ('order-export', 'kept');");

        using (var store = _database.Open())
        {
            Assert.Equal("kept", await store.GetCheckpointAsync("order-export", default));
            await store.SetAsync(OperatorStateKinds.Job, "order-export", [new("paused", "true", DateTimeOffset.UnixEpoch)], default);
        }

        Assert.Equal(Enumerable.Range(1, SqliteStoreSchema.CurrentVersion), Query<long>("SELECT version FROM schema_version ORDER BY version;").Select(v => (int)v));
    }

    [Fact]
    public async Task A_database_at_version_2_moves_job_controls_and_entity_sync_configurations_into_the_operator_state()
    {
        // Version 2 with rows as its store wrote them: times in ticks, configurations as camelCase JSON.
        var at = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_567);
        var micro = at.AddTicks(-7);
        Execute(SqliteMigrations.VersionTable + SqliteMigrations.All[0] + SqliteMigrations.Record(1) + SqliteMigrations.All[1] + SqliteMigrations.Record(2));
        Execute($$"""
            INSERT INTO job_controls (job_name, paused, disabled, changed_at) VALUES ('order-export', 1, 0, {{at.UtcTicks}}), ('Nightly', 0, 1, {{at.UtcTicks + 600_000_000}});
            INSERT INTO entity_sync_configurations (entity_type, configuration, changed_at) VALUES
                ('categories', '{"entityType":"categories","targets":["search","erp"],"enabled":true,"incrementalSync":false,"paused":true}', {{at.UtcTicks}}),
                ('buyers', NULL, {{at.UtcTicks}}),
                ('broken', 'not json', {{at.UtcTicks}});
            """);

        using (var store = _database.Open())
        {
            var jobs = (await store.GetAsync(OperatorStateKinds.Job, default)).ToDictionary(e => e.Name);
            Assert.Equal(["Nightly", "order-export"], jobs.Keys.Order(StringComparer.Ordinal));
            Assert.Equal([("disabled", "false", micro), ("paused", "true", micro)], Fields(jobs["order-export"]));
            Assert.Equal([("disabled", "true", micro.AddMinutes(1)), ("paused", "false", micro.AddMinutes(1))], Fields(jobs["Nightly"]));

            var types = (await store.GetAsync(OperatorStateKinds.EntitySync, default)).ToDictionary(e => e.Name);
            Assert.Equal(["buyers", "categories"], types.Keys.Order(StringComparer.Ordinal));
            Assert.Equal([("deleted", "true", micro)], Fields(types["buyers"]));
            Assert.Equal(
                [("deleted", "false", micro), ("enabled", "true", micro), ("incremental-sync", "false", micro), ("paused", "true", micro), ("targets", """["search","erp"]""", micro)],
                Fields(types["categories"]));

            // The moved rows are the same entries: a newer change of one field replaces it, whatever the case of the name.
            await store.SetAsync(OperatorStateKinds.Job, "NIGHTLY", [new("paused", "true", micro.AddMinutes(2))], default);
            var nightly = Assert.Single(await store.GetAsync(OperatorStateKinds.Job, default), e => e.Name.Equals("nightly", StringComparison.OrdinalIgnoreCase));
            Assert.Equal([("disabled", "true", micro.AddMinutes(1)), ("paused", "true", micro.AddMinutes(2))], Fields(nightly));
        }

        Assert.Equal(Enumerable.Range(1, SqliteStoreSchema.CurrentVersion), Query<long>("SELECT version FROM schema_version ORDER BY version;").Select(v => (int)v));
        Assert.DoesNotContain(Query<string>("SELECT name FROM sqlite_master WHERE type = 'table';"), t => t is "job_controls" or "entity_sync_configurations");

        static (string, string?, DateTimeOffset)[] Fields(OperatorStateEntry entry) => [.. entry.Fields.Select(f => (f.Name, f.Value, f.ChangedAt)).OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    [Fact]
    public async Task A_database_at_version_3_keeps_one_held_change_per_id_and_keeps_delivered_versions_of_unknown_kind()
    {
        // Version 3 held changes per (type, target, id, kind): pairs of an upsert and a delete of one id, types and targets in any case.
        Execute(SqliteMigrations.VersionTable + string.Concat(SqliteMigrations.All.Take(3).Select((m, i) => m + SqliteMigrations.Record(i + 1))));
        Execute("""
            INSERT INTO entity_changes (entity_type, target_name, entity_id, kind, version, payload) VALUES
                ('categories', 'search', 'newer-upsert', 'upsert', 5, '"u5"'), ('categories', 'search', 'newer-upsert', 'delete', 3, NULL),
                ('categories', 'search', 'newer-delete', 'upsert', 3, '"u3"'), ('categories', 'search', 'newer-delete', 'delete', 5, NULL),
                ('categories', 'search', 'tie', 'upsert', 4, '"u4"'), ('categories', 'search', 'tie', 'delete', 4, NULL),
                ('Categories', 'SEARCH', 'cased', 'upsert', 7, '"u7"'), ('categories', 'search', 'cased', 'delete', 6, NULL),
                ('categories', 'search', 'alone', 'upsert', 2, '"u2"'),
                ('categories', 'erp', 'newer-upsert', 'delete', 1, NULL);
            INSERT INTO entity_delivered (entity_type, target_name, entity_id, version) VALUES ('categories', 'search', 'gone', 4);
            """);

        using (var store = _database.Open())
        {
            var held = (await HeldAsync(store, "categories", "search")).Select(c => (c.Id, c.Kind, c.Version)).Order().ToList();
            Assert.Equal(
                [("alone", EntityChangeKind.Upsert, 2L), ("cased", EntityChangeKind.Upsert, 7L), ("newer-delete", EntityChangeKind.Delete, 5L), ("newer-upsert", EntityChangeKind.Upsert, 5L), ("tie", EntityChangeKind.Delete, 4L)],
                held);
            Assert.Equal([("newer-upsert", EntityChangeKind.Delete, 1L)], (await HeldAsync(store, "categories", "erp")).Select(c => (c.Id, c.Kind, c.Version)));

            // Keyed by id now: a delete replaces the held upsert instead of joining it.
            await store.AddEntityChangesAsync(["search"], [EntityChange.Delete("categories", "alone", 9)], repair: false, default);
            Assert.Equal((EntityChangeKind.Delete, 9L), (await HeldAsync(store, "categories", "search")).Where(c => c.Id == "alone").Select(c => (c.Kind, c.Version)).Single());

            // The delivered version of unknown kind is kept by any purge; one delivered as a delete afterwards is purged by its time.
            Assert.Equal(4, (await store.GetDeliveredEntityVersionsAsync("categories", "search", default))["gone"]);
            Assert.Equal(0, await store.PurgeEntityTombstonesAsync("categories", DateTimeOffset.MaxValue, default));
            await store.CompleteEntityChangesAsync("categories", "search", "host", [new(EntityChange.Delete("categories", "gone", 4), RecordStatus.Delivered)], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, default);
            Assert.Equal(1, await store.PurgeEntityTombstonesAsync("categories", DateTimeOffset.UnixEpoch.AddTicks(1), default));
        }

        Assert.Equal(Enumerable.Range(1, SqliteStoreSchema.CurrentVersion), Query<long>("SELECT version FROM schema_version ORDER BY version;").Select(v => (int)v));
    }

    [Fact]
    public async Task A_database_at_version_4_keeps_its_held_changes_claimable_in_id_order_and_later_writes_after_them()
    {
        // Version 4 held one change per (type, target, id), without sequence or lease; some of them at or below a delivered version.
        Execute(SqliteMigrations.VersionTable + string.Concat(SqliteMigrations.All.Take(4).Select((m, i) => m + SqliteMigrations.Record(i + 1))));
        Execute("""
            INSERT INTO entity_changes (entity_type, target_name, entity_id, kind, version, payload) VALUES
                ('categories', 'search', 'c-3', 'upsert', 5, '{"name":"Boots"}'), ('categories', 'search', 'c-1', 'delete', 2, NULL),
                ('Categories', 'SEARCH', 'c-2', 'upsert', 1, '"u1"'), ('categories', 'search', 'stale', 'upsert', 4, '"u4"'),
                ('categories', 'search', 'kept-delete', 'delete', 4, NULL),
                ('categories', 'erp', 'c-1', 'upsert', 1, NULL), ('buyers', 'search', 'b-1', 'upsert', 1, NULL);
            INSERT INTO entity_delivered (entity_type, target_name, entity_id, version) VALUES ('categories', 'search', 'stale', 4), ('categories', 'search', 'kept-delete', 4);
            """);

        using (var store = _database.Open())
        {
            Assert.Equal(new EntitySyncCounts(5, 0, 0, 0, null, null, null, null), await store.GetEntitySyncCountsAsync("categories", "search", default));

            // Claimable in (type, target, id) order; the one at the delivered version is removed by the claim, the delete after it is kept.
            var claimed = await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host", 10, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(5)), default);
            Assert.Equal([("c-1", EntityChangeKind.Delete, 2L), ("c-2", EntityChangeKind.Upsert, 1L), ("c-3", EntityChangeKind.Upsert, 5L), ("kept-delete", EntityChangeKind.Delete, 4L)], claimed.Select(h => (h.Change.Id, h.Change.Kind, h.Change.Version)));
            Assert.Equal("Boots", ((JsonElement)claimed[2].Change.Payload!).GetProperty("name").GetString());
            Assert.All(claimed, h => Assert.Equal((false, 0, (string?)null), (h.Repair, h.Attempts, h.LastError)));
            Assert.Equal(claimed.Count, claimed.Select(h => h.Sequence).Distinct().Count());
            Assert.Equal(4, (await store.GetEntitySyncCountsAsync("categories", "search", default)).Pending);

            // Writes after the migration take sequences after the migrated rows.
            var migrated = Query<long>("SELECT MAX(sequence) FROM entity_held;").Single();
            await store.AddEntityChangesAsync(["erp"], [EntityChange.Upsert("categories", "c-0", null, 1)], repair: false, default);
            var erp = await store.ClaimEntityChangesAsync("categories", "erp", new EntityChangeClaim("host", 10, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(5)), default);
            Assert.Equal(["c-1", "c-0"], erp.Select(h => h.Change.Id));
            Assert.True(erp[1].Sequence > migrated);
            Assert.Single(await store.ClaimEntityChangesAsync("buyers", "search", new EntityChangeClaim("host", 10, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(5)), default));
        }

        Assert.DoesNotContain("entity_changes", Query<string>("SELECT name FROM sqlite_master WHERE type = 'table';"));
        Assert.Equal(Enumerable.Range(1, SqliteStoreSchema.CurrentVersion), Query<long>("SELECT version FROM schema_version ORDER BY version;").Select(v => (int)v));
    }

    [Fact]
    public async Task A_database_at_version_5_keeps_its_skipped_changes_waiting_until_due_and_claims_them_then()
    {
        // Version 5 kept a skipped change's due time in the claim index's range; version 6 keeps it out until due.
        var at = new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
        Execute(SqliteMigrations.VersionTable + string.Concat(SqliteMigrations.All.Take(5).Select((m, i) => m + SqliteMigrations.Record(i + 1))));
        Execute($"""
            INSERT INTO entity_held (entity_type, target_name, entity_id, kind, version, payload, sequence, attempts, last_error, available_at) VALUES
                ('categories', 'search', 'due', 'upsert', 1, NULL, 1, 1, 'busy', {at.AddMinutes(-1).UtcTicks}),
                ('categories', 'search', 'later', 'delete', 1, NULL, 2, 2, 'busy', {at.AddMinutes(10).UtcTicks}),
                ('categories', 'search', 'fresh', 'upsert', 1, NULL, 3, 0, NULL, NULL);
            UPDATE entity_sequence SET last = 3;
            """);

        using (var store = _database.Open())
        {
            Assert.Equal(["due", "fresh"], (await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host", 10, at, at.AddHours(1)), default)).Select(h => h.Change.Id));
            var later = Assert.Single(await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host", 10, at.AddMinutes(10), at.AddHours(1), HoldUpserts: true), default));
            Assert.Equal(("later", 2, "busy"), (later.Change.Id, later.Attempts, later.LastError));
        }

        Assert.Equal(Enumerable.Range(1, SqliteStoreSchema.CurrentVersion), Query<long>("SELECT version FROM schema_version ORDER BY version;").Select(v => (int)v));
    }

    [Fact]
    public async Task Running_the_script_again_on_a_current_database_changes_no_held_change_lease_or_count()
    {
        var at = new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
        using (var store = _database.Open())
        {
            await store.AddEntityChangesAsync(["search"], [EntityChange.Upsert("categories", "c-1", "one", 1), EntityChange.Upsert("categories", "c-2", "two", 1), EntityChange.Delete("categories", "c-3", 1)], repair: true, default);
            var claimed = await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host", 10, at, at.AddMinutes(5)), default);
            await store.CompleteEntityChangesAsync("categories", "search", "host", [new(claimed[0].Change, RecordStatus.Skipped, "busy"), new(claimed[2].Change, RecordStatus.Delivered)], at, at.AddMinutes(30), default);
        }

        var before = Dump();
        Execute(SqliteStoreSchema.GetMigrationScript());

        Assert.Equal(before, Dump());
        Assert.Contains("busy", before);

        string Dump() => string.Join("\n", Query<string>("""
            SELECT entity_type || '|' || target_name || '|' || entity_id || '|' || kind || '|' || version || '|' || COALESCE(payload, '-') || '|' || repair || '|' || sequence
                || '|' || COALESCE(lease_owner, '-') || '|' || COALESCE(lease_until, '-') || '|' || attempts || '|' || COALESCE(last_error, '-') || '|' || COALESCE(available_at, '-')
            FROM entity_held
            UNION ALL SELECT 'sequence ' || last FROM entity_sequence
            UNION ALL SELECT entity_type || '|' || target_name || '|' || delivered || '|' || skipped || '|' || failed || '|' || last_delivered_version || '|' || last_error FROM entity_sync_counts
            UNION ALL SELECT entity_id || '|' || version FROM entity_delivered
            ORDER BY 1;
            """));
    }

    /// <summary>Every change held for (type, target), read by claiming them all.</summary>
    private static async Task<IReadOnlyList<EntityChange>> HeldAsync(SqliteJobStore store, string entityType, string targetName) =>
        [.. (await store.ClaimEntityChangesAsync(entityType, targetName, new EntityChangeClaim(Guid.NewGuid().ToString(), 10_000, DateTimeOffset.MaxValue.AddYears(-1), DateTimeOffset.MaxValue.AddYears(-1)), default)).Select(h => h.Change)];

    private List<T> Query<T>(string sql)
    {
        using var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var values = new List<T>();
        while (reader.Read())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
