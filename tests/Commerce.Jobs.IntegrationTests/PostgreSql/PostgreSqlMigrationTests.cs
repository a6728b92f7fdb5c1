using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.IntegrationTests.TestSupport;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlMigrationTests(PostgreSqlServer server) : IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("migrations");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Three_stores_opening_a_new_schema_at_once_migrate_it_once()
    {
        var logs = new LogCollector();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var stores = Enumerable.Range(0, 3).Select(_ => CreateSut("fresh", loggers)).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => s.SetCheckpointAsync("order-export", "x", default).AsTask()));

            Assert.Single(logs.Messages, m => m.Contains($"migrated schema fresh from version 0 to {PostgreSqlStoreMigrations.LatestVersion}", StringComparison.Ordinal));
            Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM fresh.schema_version ORDER BY version"));
            foreach (var store in stores)
            {
                Assert.Equal("x", await store.GetCheckpointAsync("order-export", default));
            }
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task With_auto_migration_off_a_missing_schema_fails_naming_the_version_and_the_script_fixes_it()
    {
        await using var store = CreateSut("manual", autoMigrate: false);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.GetRunsAsync("nightly", 10, default).AsTask());
        Assert.Contains($"schema \"manual\" at version {PostgreSqlStoreMigrations.LatestVersion}, but it is missing", ex.Message);
        Assert.Contains("PostgreSqlStoreMigrations.GetScript(\"manual\")", ex.Message);
        Assert.Contains("AutoMigrate", ex.Message);

        // The host applies the script itself, twice (it is idempotent); the same store then works.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("manual"));
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("manual"));
        Assert.Empty(await store.GetRunsAsync("nightly", 10, default));
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM manual.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task With_auto_migration_off_an_older_schema_fails_naming_both_versions()
    {
        await ExecuteAsync("CREATE SCHEMA old; CREATE TABLE old.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        await using var store = CreateSut("old", autoMigrate: false);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => store.CountPendingRecordsAsync("order-submit", default).AsTask());
        Assert.Contains($"at version {PostgreSqlStoreMigrations.LatestVersion}, but it is at version 0", ex.Message);
    }

    [Fact]
    public async Task A_schema_at_version_1_is_migrated_to_the_latest_keeping_its_data()
    {
        // Version 1 as a host that migrated before job controls existed left it.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("v1", 1));
        await ExecuteAsync("INSERT INTO v1.checkpoints (job_key, checkpoint) VALUES ('order-export', 'kept')");
        await using var store = CreateSut("v1");

        Assert.Equal("kept", await store.GetCheckpointAsync("order-export", default));
        await store.SetAsync(OperatorStateKinds.Job, "order-export", [new("paused", "true", DateTimeOffset.UnixEpoch)], default);
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM v1.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task A_schema_at_version_2_is_migrated_to_3_and_every_record_failure_and_entity_row_is_found_by_its_id()
    {
        // Version 2 with rows as its store wrote them: ids escaped (StoredText) and keyed by themselves, which fit an index entry.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("v2", 2));
        var ids = StoreTestData.HostileKeys;
        string[] stored = [.. ids.Select(id => StoredText.Escape(id))];
        await ExecuteAsync(
            $"INSERT INTO v2.record_failures (job_key, record_id, status, error, attempts, last_attempt_at) SELECT 'order-submit', id, {(int)RecordStatus.Skipped}, 'old', 1, now() FROM unnest($1::text[]) AS id",
            stored);
        await ExecuteAsync(
            $"INSERT INTO v2.entity_changes (entity_key, target_key, entity_id, kind, version, entity_type, payload) SELECT 'product', 'erp', id, {(int)EntityChangeKind.Upsert}, 1, 'Product', NULL FROM unnest($1::text[]) AS id",
            stored);
        await ExecuteAsync("INSERT INTO v2.entity_delivered (entity_key, target_key, entity_id, version) SELECT 'product', 'erp', id, 1 FROM unnest($1::text[]) AS id", stored);
        await using var store = CreateSut("v2");

        // Record failures: read back, counted again under the same row (the upsert finds it by the hash), removed by id.
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await store.ReadAllRecordFailuresAsync("order-submit")).Select(f => f.RecordId).Order(StringComparer.Ordinal));
        await store.AddRecordFailuresAsync("order-submit", [.. ids.Select(id => new RecordFailure(id, RecordStatus.Skipped, "new", 0, DateTimeOffset.UnixEpoch))], default);
        Assert.All(await store.ReadAllRecordFailuresAsync("order-submit"), f => Assert.Equal((2, "new"), (f.Attempts, f.Error)));
        await store.RemoveRecordFailuresAsync("order-submit", [.. ids.Where((_, i) => i % 2 == 0)], default);
        Assert.Equal(ids.Where((_, i) => i % 2 == 1).Order(StringComparer.Ordinal), (await store.ReadAllRecordFailuresAsync("order-submit")).Select(f => f.RecordId).Order(StringComparer.Ordinal));

        // Held changes: a newer version replaces each old row (found by the hash, not added beside it), then delivery settles them.
        Assert.Equal(ids.Order(StringComparer.Ordinal), (await store.GetEntityChangesAsync("Product", "erp", default)).Select(c => c.Id).Order(StringComparer.Ordinal));
        IReadOnlyList<EntityChange> newer = [.. ids.Select(id => EntityChange.Upsert("Product", id, null, 2))];
        await store.AddEntityChangesAsync(["erp"], newer, repair: false, default);
        var held = await store.GetEntityChangesAsync("Product", "erp", default);
        Assert.Equal(ids.Count, held.Count);
        Assert.All(held, c => Assert.Equal(2, c.Version));
        var claimed = await store.ClaimEntityChangesAsync("Product", "erp", new EntityChangeClaim("host", 1000, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(1)), default);
        Assert.Equal(ids.Count, claimed.Count);
        await store.CompleteEntityChangesAsync("Product", "erp", "host", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Delivered))], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, default);
        Assert.Empty(await store.GetEntityChangesAsync("Product", "erp", default));

        // Delivered versions: each old row raised in place.
        var delivered = await store.GetDeliveredEntityVersionsAsync("Product", "erp", default);
        Assert.Equal(ids.Order(StringComparer.Ordinal), delivered.Keys.Order(StringComparer.Ordinal));
        Assert.All(delivered.Values, v => Assert.Equal(2, v));
        Assert.Equal([(long)ids.Count], await QueryAsync<long>("SELECT count(*) FROM v2.entity_delivered"));
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM v2.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task A_schema_at_version_3_moves_job_controls_and_entity_sync_configurations_into_the_operator_state()
    {
        // Version 3 with rows as its store wrote them: keys lower-cased and escaped (StoredText), configurations as jsonb.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("v3", 3));
        var hostile = StoreTestData.HostileKeys[^1];
        string[] names = ["Order-Export", hostile];
        string[] stored = [.. names.Select(n => StoredText.Escape(n.ToLowerInvariant())), .. names.Select(n => StoredText.Escape(n))];
        await ExecuteAsync(
            "INSERT INTO v3.job_controls (job_key, job_name, paused, disabled, changed_at) SELECT k, n, true, false, '2026-11-23T08:00:00.123456Z' FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i) JOIN unnest($1::text[]) WITH ORDINALITY AS v(n, j) ON j = i + 2",
            stored);
        await ExecuteAsync("""
            INSERT INTO v3.entity_sync_configurations (entity_key, entity_type, configuration, changed_at) VALUES
                ('categories', 'Categories', '{"entityType":"Categories","targets":["search","erp"],"enabled":true,"incrementalSync":false,"paused":true}', '2026-11-23T08:00:00.123456Z'),
                ('buyers', 'buyers', NULL, '2026-11-23T08:00:00.123456Z')
            """);
        await using var store = CreateSut("v3");
        var at = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);

        var jobs = (await store.GetAsync(OperatorStateKinds.Job, default)).ToDictionary(e => e.Name);
        Assert.Equal(names.Order(StringComparer.Ordinal), jobs.Keys.Order(StringComparer.Ordinal));
        Assert.All(jobs.Values, e => Assert.Equal([("disabled", "false", at), ("paused", "true", at)], Fields(e)));

        var types = (await store.GetAsync(OperatorStateKinds.EntitySync, default)).ToDictionary(e => e.Name);
        Assert.Equal(["Categories", "buyers"], types.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([("deleted", "true", at)], Fields(types["buyers"]));
        Assert.Equal(
            [("deleted", "false", at), ("enabled", "true", at), ("incremental-sync", "false", at), ("paused", "true", at), ("targets", """["search", "erp"]""", at)],
            Fields(types["Categories"]));

        // The moved rows are found by the key the store computes: a newer change of a field replaces it, whatever the case of the name.
        foreach (var name in names)
        {
            await store.SetAsync(OperatorStateKinds.Job, name.ToUpperInvariant(), [new("disabled", "true", at.AddMinutes(1))], default);
        }

        Assert.Equal(2, (await store.GetAsync(OperatorStateKinds.Job, default)).Count);
        Assert.All(await store.GetAsync(OperatorStateKinds.Job, default), e => Assert.Equal([("disabled", "true", at.AddMinutes(1)), ("paused", "true", at)], Fields(e)));
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM v3.schema_version ORDER BY version"));
        Assert.Empty(await QueryAsync<string>("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'v3' AND table_name IN ('job_controls', 'entity_sync_configurations')"));

        static (string, string?, DateTimeOffset)[] Fields(OperatorStateEntry entry) => [.. entry.Fields.Select(f => (f.Name, f.Value, f.ChangedAt)).OrderBy(f => f.Name, StringComparer.Ordinal)];
    }

    [Fact]
    public async Task A_schema_at_version_4_keeps_one_held_change_per_id_and_keeps_delivered_versions_of_unknown_kind()
    {
        // Version 4 held changes per (type, target, id, kind): pairs of an upsert (0) and a delete (1) of one id.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("v4", 4));
        var hostile = StoreTestData.HostileKeys[^1];
        await ExecuteWithAsync("""
            INSERT INTO v4.entity_changes (entity_key, target_key, entity_id, kind, version, entity_type, payload, entity_id_hash)
            SELECT 'categories', t, id, k, v, 'categories', NULL, sha256(convert_to(id, 'UTF8'))
            FROM unnest($1::text[], $2::text[], $3::smallint[], $4::bigint[]) AS u(t, id, k, v)
            """,
            new[] { "search", "search", "search", "search", "search", "search", "search", "search", "search", "erp" },
            new[] { "newer-upsert", "newer-upsert", "newer-delete", "newer-delete", "tie", "tie", StoredText.Escape(hostile), StoredText.Escape(hostile), "alone", "newer-upsert" },
            new short[] { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 },
            new long[] { 5, 3, 3, 5, 4, 4, 7, 6, 2, 1 });
        await ExecuteAsync("INSERT INTO v4.entity_delivered (entity_key, target_key, entity_id, version, entity_id_hash) VALUES ('categories', 'search', 'gone', 4, sha256(convert_to('gone', 'UTF8')))");
        await using var store = CreateSut("v4");

        var held = (await store.GetEntityChangesAsync("categories", "search", default)).Select(c => (c.Id, c.Kind, c.Version)).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        Assert.Equal(
            new[] { ("alone", EntityChangeKind.Upsert, 2L), ("newer-delete", EntityChangeKind.Delete, 5L), ("newer-upsert", EntityChangeKind.Upsert, 5L), ("tie", EntityChangeKind.Delete, 4L), (hostile, EntityChangeKind.Upsert, 7L) }.OrderBy(c => c.Item1, StringComparer.Ordinal),
            held);
        Assert.Equal([("newer-upsert", EntityChangeKind.Delete, 1L)], (await store.GetEntityChangesAsync("categories", "erp", default)).Select(c => (c.Id, c.Kind, c.Version)));

        // Keyed by id now: a delete replaces the held upsert instead of joining it.
        await store.AddEntityChangesAsync(["search"], [EntityChange.Delete("categories", "alone", 9)], repair: false, default);
        Assert.Equal((EntityChangeKind.Delete, 9L), (await store.GetEntityChangesAsync("categories", "search", default)).Where(c => c.Id == "alone").Select(c => (c.Kind, c.Version)).Single());

        // The delivered version of unknown kind is kept by any purge (stamped with the migration's time); one delivered as a
        // delete afterwards is purged by its time.
        Assert.Equal(4, (await store.GetDeliveredEntityVersionsAsync("categories", "search", default))["gone"]);
        Assert.Equal([true], await QueryAsync<bool>("SELECT kind IS NULL AND delivered_at > now() - interval '1 day' FROM v4.entity_delivered"));
        Assert.Equal(0, await store.PurgeEntityTombstonesAsync("categories", DateTimeOffset.MaxValue, default));
        await store.CompleteEntityChangesAsync("categories", "search", "host", [new(EntityChange.Delete("categories", "gone", 4), RecordStatus.Delivered)], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, default);
        Assert.Equal(1, await store.PurgeEntityTombstonesAsync("categories", DateTimeOffset.UnixEpoch.AddTicks(10), default));
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM v4.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task A_schema_at_version_5_numbers_held_changes_in_a_stable_order_and_they_are_claimable()
    {
        // Version 5 held one change per (type, target, id), with no sequence, lease or counts; delivered rows with kind and time.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("v5", 5));
        var hostile = StoreTestData.HostileIds[^1];
        await ExecuteWithAsync("""
            INSERT INTO v5.entity_changes (entity_key, target_key, entity_id, kind, version, entity_type, payload, entity_id_hash)
            SELECT 'categories', t, id, k, v, 'Categories', CASE WHEN k = 0 THEN jsonb_build_object('v', v) END, sha256(convert_to(id, 'UTF8'))
            FROM unnest($1::text[], $2::text[], $3::smallint[], $4::bigint[]) AS u(t, id, k, v)
            """,
            new[] { "search", "search", "search", "search", "search", "search", "erp" },
            new[] { "c-b", "c-a", "c-c", StoredText.Escape(hostile), "stale", "c-d", "c-a" },
            new short[] { 0, 1, 0, 0, 0, 1, 0 },
            new long[] { 1, 2, 2, 1, 2, 2, 9 });
        await ExecuteAsync("""
            INSERT INTO v5.entity_delivered (entity_key, target_key, entity_id, entity_id_hash, version, kind, delivered_at) VALUES
                ('categories', 'search', 'stale', sha256(convert_to('stale', 'UTF8')), 2, 0, '2026-11-23T08:00:00Z'),
                ('categories', 'search', 'c-c', sha256(convert_to('c-c', 'UTF8')), 1, NULL, '2026-11-23T08:00:00Z')
            """);
        await using var store = CreateSut("v5");
        var at = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

        // Numbered by version, then kind, then id: the order a claim hands them out in. The row stale against its delivered
        // version is dropped by the claim; the one delivered at an unknown kind of its version is not stale.
        Assert.Equal(6, (await store.GetEntitySyncCountsAsync("categories", "search", default)).Pending);
        var claimed = await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host-a", 100, at, at.AddMinutes(5)), default);
        Assert.Equal(
            [("c-b", EntityChangeKind.Upsert, 1L), (hostile, EntityChangeKind.Upsert, 1L), ("c-c", EntityChangeKind.Upsert, 2L), ("c-a", EntityChangeKind.Delete, 2L), ("c-d", EntityChangeKind.Delete, 2L)],
            claimed.Select(h => (h.Change.Id, h.Change.Kind, h.Change.Version)));
        Assert.Equal(claimed.Select(h => h.Sequence).Order(), claimed.Select(h => h.Sequence));
        Assert.All(claimed, h => Assert.Equal((false, 0, (string?)null), (h.Repair, h.Attempts, h.LastError)));
        Assert.Equal(1L, Assert.IsType<System.Text.Json.JsonElement>(claimed[0].Change.Payload).GetProperty("v").GetInt64());
        Assert.Equal(new EntitySyncCounts(5, 0, 0, 0, null, null, null, null), await store.GetEntitySyncCountsAsync("categories", "search", default));

        // A change added now is numbered after every migrated row, and replaces a leased row keeping its lease.
        await store.AddEntityChangesAsync(["search", "erp"], [EntityChange.Upsert("categories", "c-new", null, 1), EntityChange.Upsert("categories", "c-b", null, 3)], repair: false, default);
        Assert.Equal(["c-new"], (await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host-b", 100, at, at.AddMinutes(5)), default)).Select(h => h.Change.Id));
        var erp = await store.ClaimEntityChangesAsync("categories", "erp", new EntityChangeClaim("host-b", 100, at, at.AddMinutes(5)), default);
        Assert.Equal(["c-a", "c-new", "c-b"], erp.Select(h => h.Change.Id));
        Assert.True(erp[1].Sequence > claimed.Max(h => h.Sequence));

        await store.CompleteEntityChangesAsync("categories", "search", "host-a", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Delivered))], at, at, default);
        Assert.Equal(
            [("c-b", 3L)],
            (await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host-b", 100, at, at.AddMinutes(5)), default)).Select(h => (h.Change.Id, h.Change.Version)));
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM v5.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task A_schema_at_version_6_keeps_its_skipped_changes_waiting_until_due_and_claims_them_then()
    {
        // Version 6 kept a skipped change's due time in the claim index's range; version 7 keeps it out until due.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("v6", 6));
        await ExecuteAsync("""
            INSERT INTO v6.entity_changes (entity_key, target_key, entity_id, kind, version, entity_type, entity_id_hash, attempts, last_error, available_at) VALUES
                ('categories', 'search', 'due', 0, 1, 'categories', sha256(convert_to('due', 'UTF8')), 1, 'busy', '2026-12-07T07:59:00Z'),
                ('categories', 'search', 'later', 1, 1, 'categories', sha256(convert_to('later', 'UTF8')), 2, 'busy', '2026-12-07T08:10:00Z'),
                ('categories', 'search', 'fresh', 0, 1, 'categories', sha256(convert_to('fresh', 'UTF8')), 0, NULL, NULL)
            """);
        await using var store = CreateSut("v6");
        var at = new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

        Assert.Equal(["due", "fresh"], (await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host", 10, at, at.AddHours(1)), default)).Select(h => h.Change.Id));
        var later = Assert.Single(await store.ClaimEntityChangesAsync("categories", "search", new EntityChangeClaim("host", 10, at.AddMinutes(10), at.AddHours(1), HoldUpserts: true), default));
        Assert.Equal(("later", 2, "busy"), (later.Change.Id, later.Attempts, later.LastError));
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM v6.schema_version ORDER BY version"));
    }

    [Fact]
    public async Task A_schema_at_version_7_gets_an_index_on_run_id_and_its_runs_predecessors_are_found_through_it()
    {
        // Version 7 with runs as its store wrote them (the job's key lower-cased and escaped), one id stored twice.
        await ExecuteAsync(PostgreSqlStoreMigrations.GetScript("v7", 7));
        var hostile = StoreTestData.HostileKeys[^1];
        var ids = Enumerable.Range(0, 5).Select(i => Guid.CreateVersion7(StoreTestData.T0.AddMinutes(i))).ToArray();
        await ExecuteWithAsync("""
            INSERT INTO v7.runs (job_key, run_id, job_name, trigger_kind, host_name, started_at, ended_at, outcome,
                                 read_count, delivered_count, skipped_count, failed_count, error, log)
            SELECT k, id, k, 0, 'web-01', now(), now(), o, 0, 0, 0, 0, NULL, '[]'
            FROM unnest($1::text[], $2::uuid[], $3::smallint[]) WITH ORDINALITY AS u(k, id, o, ord) ORDER BY ord
            """,
            new[] { "order-export", "order-export", StoredText.Escape(hostile.ToLowerInvariant()), "order-export", "order-export", "order-export" },
            new[] { ids[0], ids[1], ids[1], ids[2], ids[3], ids[1] },
            new short[] { (short)JobOutcome.Succeeded, (short)JobOutcome.Failed, (short)JobOutcome.Succeeded, (short)JobOutcome.Succeeded, (short)JobOutcome.Cancelled, (short)JobOutcome.Succeeded });
        await using var store = CreateSut("v7");

        Assert.Equal(
            [new RunPredecessor(true, null), new RunPredecessor(true, JobOutcome.Cancelled), new RunPredecessor(true, JobOutcome.Failed), default],
            await store.GetPredecessorsAsync("Order-Export", [ids[0], ids[1], ids[2], ids[4]], default));   // the newest row of an id stored twice
        Assert.Equal(new RunPredecessor(true, null), await store.GetPredecessorAsync(hostile, ids[1], default));
        Assert.Equal(["CREATE INDEX runs_run_id ON v7.runs USING btree (run_id)"], await QueryAsync<string>("SELECT indexdef FROM pg_indexes WHERE schemaname = 'v7' AND indexname = 'runs_run_id'"));
        Assert.Equal(Enumerable.Range(1, PostgreSqlStoreMigrations.LatestVersion), await QueryAsync<int>("SELECT version FROM v7.schema_version ORDER BY version"));
    }

    [Fact]
    public void The_script_is_one_locked_transaction_in_the_given_schema()
    {
        var script = PostgreSqlStoreMigrations.GetScript("storefront_jobs");
        Assert.StartsWith("BEGIN;\nSELECT pg_advisory_xact_lock(", script);
        Assert.EndsWith("COMMIT;\n", script);
        Assert.Contains("CREATE TABLE \"storefront_jobs\".inbox", script);
        Assert.DoesNotContain("commerce_jobs", script);
        Assert.Throws<ArgumentException>(() => PostgreSqlStoreMigrations.GetScript("jobs; DROP TABLE x"));
    }

    [Fact]
    public void Bad_options_fail_at_start_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddCommerceJobs(jobs => jobs.UsePostgreSqlStore("Host=127.0.0.1", o => o.Schema = "1-bad"));
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PostgreSqlStoreOptions>>().Value);
        Assert.Contains("PostgreSQL store: Schema must be letters, digits and '_'", ex.Message);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddCommerceJobs(jobs => jobs.UsePostgreSqlStore(" ")));
    }

    [Fact]
    public async Task The_builder_extension_registers_the_store()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCommerceJobs(jobs => jobs.UsePostgreSqlStore(_connectionString, o => o.Schema = "registered"));
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IJobStore>();
        Assert.IsType<PostgreSqlJobStore>(store);
        await store.SetCheckpointAsync("order-export", "2026-11-23", default);
        Assert.Equal("2026-11-23", await store.GetCheckpointAsync("order-export", default));
    }

    private PostgreSqlJobStore CreateSut(string schema, ILoggerFactory? loggers = null, bool autoMigrate = true)
        => new(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = schema, AutoMigrate = autoMigrate }, loggers);

    private async Task ExecuteAsync(string sql, string[]? texts = null)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (texts is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = texts });
        }

        await command.ExecuteNonQueryAsync();
    }

    private async Task ExecuteWithAsync(string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<T>> QueryAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<T>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}
