using System.Threading.Channels;
using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.EntitySync;
using Commerce.Jobs.Tests.Runners;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using static Commerce.Jobs.Tests.Definitions.JobDefinitionTests;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>
/// The audit trail of operators' changes: each control (pause, resume, enable, disable) and each definition update or
/// reset records who, when and old → new; a refused update records nothing; a store that cannot record never fails the change.
/// </summary>
public sealed class AuditTests
{
    private static readonly DateTimeOffset Start = TestEngine.Start;

    [Fact]
    public async Task Each_control_records_who_when_and_the_old_and_new_value()
    {
        var sut = CreateSut();
        await using var engine = sut.Engine;
        IJobControl control = engine.Engine;

        control.Pause("export", "alice");
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        control.Pause("EXPORT", "alice");                 // a no-op: recorded, old = new
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        control.Resume("export");                         // no actor: not known
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        control.Disable("export", "bob");
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        control.Enable("export", "carol");

        // No wait: the read waits for this host's pending writes (read your writes).
        var changes = await engine.Engine.GetChangesAsync("export", 10, default);

        Assert.Equal(
            [
                new OperatorChange(OperatorStateKinds.Job, "export", "enable", Start.AddMinutes(4), "carol", []),
                new OperatorChange(OperatorStateKinds.Job, "export", "disable", Start.AddMinutes(3), "bob", []),
                new OperatorChange(OperatorStateKinds.Job, "export", "resume", Start.AddMinutes(2), null, []),
                new OperatorChange(OperatorStateKinds.Job, "export", "pause", Start.AddMinutes(1), "alice", []),
                new OperatorChange(OperatorStateKinds.Job, "export", "pause", Start, "alice", []),
            ],
            changes.Select(c => c with { Values = [] }));
        Assert.Equal([new OperatorChangeValue("disabled", "true", "false")], changes[0].Values);
        Assert.Equal([new OperatorChangeValue("disabled", "false", "true")], changes[1].Values);
        Assert.Equal([new OperatorChangeValue("paused", "true", "false")], changes[2].Values);
        Assert.Equal([new OperatorChangeValue("paused", "true", "true")], changes[3].Values);
        Assert.Equal([new OperatorChangeValue("paused", "false", "true")], changes[4].Values);
        Assert.Empty(await engine.Engine.GetChangesAsync("import", 10, default));
    }

    [Fact]
    public async Task An_update_records_each_changed_field_old_and_new_and_a_reset_records_the_way_back()
    {
        var sut = CreateSut();
        await using var engine = sut.Engine;
        var definitions = DefinitionsOf(engine);

        engine.Time.Advance(TimeSpan.FromMinutes(1));
        var fields = new Dictionary<string, string?> { [JobDefinitionFields.Interval] = "00:01:00", [JobDefinitionFields.MaxConcurrency] = "3", [JobDefinitionFields.BatchSize] = null };
        await definitions.UpdateAsync("export", fields, null, "alice", default);
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        engine.Engine.Pause("export", "bob");
        await sut.AppendedAsync(2);
        engine.Time.Advance(TimeSpan.FromMinutes(1));
        await definitions.ResetAsync("export", null, "carol", default);

        var changes = await engine.Engine.GetChangesAsync("export", 10, default);

        Assert.Equal(["reset", "pause", "update"], changes.Select(c => c.Action));
        var reset = changes[0];
        Assert.Equal((OperatorStateKinds.JobDefinition, "export", Start.AddMinutes(3), "carol"), (reset.Kind, reset.Name, reset.ChangedAt, reset.ChangedBy));
        Assert.Equal(
            [new OperatorChangeValue(JobDefinitionFields.Interval, "00:01:00", "00:10:00"), new OperatorChangeValue(JobDefinitionFields.MaxConcurrency, "3", "1")],
            reset.Values.OrderBy(v => v.Field, StringComparer.Ordinal));
        var update = changes[2];
        Assert.Equal((OperatorStateKinds.JobDefinition, "export", Start.AddMinutes(1), "alice"), (update.Kind, update.Name, update.ChangedAt, update.ChangedBy));
        // The batch size reset to its declared value changed neither value nor source: not listed.
        Assert.Equal(
            [new OperatorChangeValue(JobDefinitionFields.Interval, "00:10:00", "00:01:00"), new OperatorChangeValue(JobDefinitionFields.MaxConcurrency, "1", "3")],
            update.Values.OrderBy(v => v.Field, StringComparer.Ordinal));
        Assert.Equal(OperatorStateKinds.Job, changes[1].Kind);

        // The limit keeps the newest across both kinds.
        Assert.Equal(["reset", "pause"], (await engine.Engine.GetChangesAsync("export", 2, default)).Select(c => c.Action));
    }

    [Fact]
    public async Task A_refused_update_records_nothing()
    {
        var sut = CreateSut();
        await using var engine = sut.Engine;
        var definitions = DefinitionsOf(engine);

        await Assert.ThrowsAsync<JobDefinitionValidationException>(async () => await definitions.UpdateAsync("export", Set(JobDefinitionFields.MaxConcurrency, "0"), null, "alice", default));
        await Assert.ThrowsAsync<JobDefinitionValidationException>(async () => await definitions.UpdateAsync("export", Set("NoSuchField", "1"), null, "alice", default));
        await Assert.ThrowsAsync<JobDefinitionConflictException>(async () => await definitions.UpdateAsync("export", Set(JobDefinitionFields.MaxConcurrency, "2"), "stale", "alice", default));
        await Assert.ThrowsAsync<JobDefinitionConflictException>(async () => await definitions.ResetAsync("export", "stale", "alice", default));

        Assert.Empty(await engine.Engine.GetChangesAsync("export", 10, default));
        Assert.Empty(await sut.Inner.GetChangesAsync(OperatorStateKinds.JobDefinition, "export", 10, default));
        Assert.Equal(0, sut.AppendCalls);
    }

    [Fact]
    public async Task A_store_that_cannot_record_the_change_does_not_fail_it()
    {
        var sut = CreateSut(failAppends: true);
        await using var engine = sut.Engine;

        engine.Engine.Pause("export", "alice");
        var definition = await DefinitionsOf(engine).UpdateAsync("export", Set(JobDefinitionFields.MaxConcurrency, "2"), null, "alice", default);
        await sut.AppendedAsync(2);

        Assert.Equal(JobState.Paused, engine.Engine.GetStatus("export").State);
        Assert.Equal("2", definition[JobDefinitionFields.MaxConcurrency].Value);
        Assert.Equal(2, engine.Engine.GetEntry("export").Options.MaxConcurrency);
        // The operator state itself was stored: the change holds on every host, only its record is missing.
        var stored = Assert.Single(await sut.Inner.GetAsync(OperatorStateKinds.Job, default));
        Assert.Contains(stored.Fields, f => f is { Name: "paused", Value: "true" });
        Assert.Empty(await sut.Inner.GetChangesAsync(OperatorStateKinds.Job, "export", 10, default));
    }

    [Fact]
    public async Task Entity_sync_configuration_changes_pauses_and_resumes_are_recorded_with_old_and_new_fields()
    {
        var store = EntitySyncSut.CreateStore();
        await using var sut = await EntitySyncSut.CreateAsync(configure: jobs => jobs.AddEntitySync(EntitySyncSut.Categories).DeliverTo("search"), store: store);
        var start = sut.Time.GetUtcNow();

        await sut.Sync.PauseAsync("CATEGORIES", default);
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.Sync.ResumeAsync("categories", default);
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "categories", Targets = ["search", "erp"], IncrementalSync = false }, default);
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(await sut.Sync.DeleteConfigurationAsync("categories", default));
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "categories", Targets = ["search"] }, default);

        var changes = await store.GetChangesAsync(OperatorStateKinds.EntitySync, "Categories", 10, default);

        Assert.Equal(["update", "delete", "update", "resume", "pause"], changes.Select(c => c.Action));
        Assert.All(changes, c => Assert.Equal((OperatorStateKinds.EntitySync, "categories", (string?)null), (c.Kind, c.Name, c.ChangedBy)));
        Assert.Equal([start.AddMinutes(4), start.AddMinutes(3), start.AddMinutes(2), start.AddMinutes(1), start], changes.Select(c => c.ChangedAt));
        Assert.Equal([new OperatorChangeValue("paused", "false", "true")], changes[4].Values);
        Assert.Equal([new OperatorChangeValue("paused", "true", "false")], changes[3].Values);
        Assert.Equal(
            [new OperatorChangeValue("deleted", "false", "false"), new OperatorChangeValue("incremental-sync", "true", "false"), new OperatorChangeValue("targets", """["search"]""", """["search","erp"]""")],
            changes[2].Values.OrderBy(v => v.Field, StringComparer.Ordinal));
        Assert.Equal([new OperatorChangeValue("deleted", "false", "true")], changes[1].Values);
        // Put after the delete: every field written, from "not configured".
        Assert.Contains(new OperatorChangeValue("deleted", "true", "false"), changes[0].Values);
        Assert.Contains(new OperatorChangeValue("targets", null, """["search"]"""), changes[0].Values);
    }

    [Fact]
    public async Task Entity_sync_changes_with_an_actor_record_who_made_each_of_them()
    {
        var store = EntitySyncSut.CreateStore();
        await using var sut = await EntitySyncSut.CreateAsync(configure: jobs => jobs.AddEntitySync(EntitySyncSut.Categories).DeliverTo("search"), store: store);
        const string Hostile = "<script>x</script>\r\n\0ü\ud800";

        await sut.Sync.PauseAsync("categories", "ana", default);
        await sut.Sync.ResumeAsync("categories", Hostile, default);
        await sut.Sync.PauseAllAsync("bo", default);
        await sut.Sync.ResumeAllAsync(null, default);
        await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "categories", Targets = ["search", "erp"] }, "cy", default);
        Assert.True(await sut.Sync.DeleteConfigurationAsync("categories", "di", default));
        Assert.False(await sut.Sync.DeleteConfigurationAsync("categories", "nobody", default));

        var changes = await store.GetChangesAsync(OperatorStateKinds.EntitySync, "categories", 10, default);

        Assert.Equal(
            [("delete", "di"), ("update", "cy"), ("resume", null), ("pause", "bo"), ("resume", Hostile), ("pause", "ana")],
            changes.Select(c => (c.Action, c.ChangedBy)));
    }

    [Fact]
    public async Task Reading_changes_checks_its_arguments_like_reading_runs()
    {
        var sut = CreateSut();
        await using var engine = sut.Engine;

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await engine.Engine.GetChangesAsync("export", 0, default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await engine.Engine.GetChangesAsync("export", 1001, default));
        var unknown = await Assert.ThrowsAsync<ArgumentException>(async () => await engine.Engine.GetChangesAsync("nope", 10, default));
        Assert.Equal("jobName", unknown.ParamName);
        Assert.Empty(await engine.Engine.GetChangesAsync("export", 1000, default));
    }

    private static Sut CreateSut(bool failAppends = false)
    {
        var inner = new InMemoryJobStore();
        var appended = Channel.CreateUnbounded<OperatorChange>();
        var sut = new Sut(inner, appended.Reader);
        var store = InterceptingStore.Create(inner, (call, args) =>
        {
            if (call != nameof(IOperatorChangeLog.AppendChangeAsync))
            {
                return null;
            }

            var change = (OperatorChange)args![0]!;
            Interlocked.Increment(ref sut.AppendCalls);
            var write = failAppends ? ValueTask.FromException(new IOException("The store is down.")) : inner.AppendChangeAsync(change, default);
            appended.Writer.TryWrite(change);
            return write;
        });
        sut.Engine = TestEngine.Create(
            jobs =>
            {
                jobs.AddJob("export", Ok).Schedule(Schedule.Every(TimeSpan.FromMinutes(10)));
                jobs.AddJob("import", Ok).Schedule(Schedule.Every(TimeSpan.FromMinutes(10)));
            },
            services: s => s.AddSingleton(store));
        return sut;
    }

    private sealed class Sut(InMemoryJobStore inner, ChannelReader<OperatorChange> appended)
    {
#pragma warning disable SA1401, CA1051 // A counter the store's interceptor increments.
        public int AppendCalls;
#pragma warning restore SA1401, CA1051

        public InMemoryJobStore Inner { get; } = inner;

        public TestEngine Engine { get; set; } = null!;

        /// <summary>Waits until <paramref name="count"/> appends were made (stored or failed), bounded.</summary>
        public async Task AppendedAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await appended.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
    }
}
